/* The report's sortable tables (pipeline/report.py inlines it into index.html): a click on a
   column header sorts by that column, numbers as numbers; a second click reverses. */
document.querySelectorAll("table.sortable").forEach((table) => {
  table.querySelectorAll("thead th").forEach((th, col) => {
    th.title = "click to sort";
    th.style.cursor = "pointer";
    th.addEventListener("click", () => {
      const body = table.tBodies[0];
      const up = th.dataset.dir !== "up";
      table.querySelectorAll("thead th").forEach((h) => delete h.dataset.dir);
      th.dataset.dir = up ? "up" : "down";
      const key = (row) => {
        const text = row.cells[col].textContent.trim();
        const num = parseFloat(text.replace(/,/g, ""));
        return Number.isNaN(num) ? text : num;
      };
      const rows = Array.from(body.rows).sort((a, b) => {
        const x = key(a), y = key(b);
        const order = typeof x === typeof y ? (x > y) - (x < y) : typeof x === "number" ? -1 : 1;
        return up ? order : -order;
      });
      rows.forEach((r) => body.appendChild(r));
    });
  });
});
