// The report's interactive map (pipeline/webmap.py inlines it into map.html, after Leaflet
// and the data, a JSON script element with id "data"). Globals: L, ATTRIBUTION.
const D = JSON.parse(document.getElementById('data').textContent);
const map = L.map('map', {zoomSnap: 0.25, attributionControl: false});
L.control.attribution({prefix: '<a href="https://leafletjs.com">Leaflet</a>'})
  .addAttribution(ATTRIBUTION).addTo(map);
L.control.scale({imperial: false}).addTo(map);
const fmt = (v, d) => v === null || v === undefined ? '' :
  (typeof v === 'number' ? v.toLocaleString('en', {maximumFractionDigits: d}) : String(v));
const esc = s => String(s).replace(/[&<>"]/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'})[c]);
function table(rows) {
  return '<table class="pop">' + rows.filter(r => r[1] !== '' && r[1] !== null)
    .map(r => '<tr><td>' + esc(r[0]) + '</td><td>' + esc(r[1]) + '</td></tr>').join('') + '</table>';
}
function routePopup(p) {
  const musd = v => v === null ? '' : fmt(v / 1e6, 1);
  return '<b>' + esc(p.route_id) + '</b>' + table([
    ['length, km', fmt(p.length_km, 0)],
    ['cost P50, M USD', musd(p.cost_p50_usd)],
    ['cost P10–P90, M USD', musd(p.cost_p10_usd) + '–' + musd(p.cost_p90_usd)],
    ['latency one way / RTT, ms', fmt(p.latency_ms, 2) + ' / ' + fmt(p.latency_rt_ms, 2)],
    ['detour over great circle', fmt(p.detour_ratio, 2)],
    ['countries', p.countries], ['km by country', p.km_by_country],
    ['border crossings', p.border_crossings],
    ['on railway or road, share', fmt(100 * p.row_share, 0) + ' %'],
    ['highest point, m', fmt(p.max_elevation_m, 0)],
    ['ILA / regen sites', fmt(p.n_ila_sites, 0) + ' / ' + fmt(p.n_regen_sites, 0)],
    ['longest shared with alternatives, km', fmt(p.shared_km_max, 1)],
    ['diversity', p.diversity_note],
    ['rank by cost / weighted', fmt(p.rank, 0) + ' / ' + fmt(p.mcda_rank, 0)]]);
}
function fieldsPopup(title, fields) {
  return p => '<b>' + esc(p[title] ?? '') + '</b>' + table(fields.map(f => [f.replace(/_/g, ' '), fmt(p[f], 2)]));
}
function points(fc, color, radius, popup, className) {
  const value = (v, p) => typeof v === 'function' ? v(p) : v;
  return L.geoJSON(fc, {
    pointToLayer: (f, ll) => L.circleMarker(ll, {radius: value(radius, f.properties), color: '#222', weight: 1,
      fillColor: value(color, f.properties), fillOpacity: 0.9, className: className}),
    onEachFeature: (f, l) => l.bindPopup(popup(f.properties))});
}
const overlays = {};
const base = L.imageOverlay(D.basemap.uri, D.basemap.bounds, {interactive: false}).addTo(map);
overlays['Terrain, railways (brown), major roads (orange)'] = base;
overlays['Lakes and the Caspian'] = L.geoJSON(D.lakes, {interactive: false,
  style: {color: '#9ec3e0', weight: 0.5, fillColor: '#cfe3f3', fillOpacity: 1}}).addTo(map);
overlays['Countries'] = L.geoJSON(D.countries, {style: {color: '#444', weight: 1, fill: false},
  onEachFeature: (f, l) => l.bindTooltip(f.properties.name, {sticky: true})}).addTo(map);
const hubColor = {};
D.hubs.features.forEach((f, i) => hubColor[f.properties.name] = D.hub_colors[i % D.hub_colors.length]);
overlays['Onward paths (best per origin and hub)'] = L.geoJSON(D.onward_best, {
  style: f => ({color: hubColor[f.properties.hub] || '#555', weight: 2, dashArray: '6 4', className: 'onward'}),
  onEachFeature: (f, l) => l.bindPopup(fieldsPopup('hub', ['origin', 'station', 'cables', 'latency_rt_ms',
    'incumbent_latency_rt_ms', 'saved_rt_ms', 'incumbent_chokepoints', 'avoids'])(f.properties))}).addTo(map);
overlays['Onward paths (every station)'] = L.geoJSON(D.onward_all, {
  style: f => ({color: hubColor[f.properties.hub] || '#555', weight: 1, opacity: 0.6}),
  onEachFeature: (f, l) => l.bindPopup(fieldsPopup('hub', ['origin', 'station', 'cables', 'latency_rt_ms',
    'saved_rt_ms'])(f.properties))});
const routeLayers = [];
const routeGroup = L.layerGroup().addTo(map);
L.geoJSON(D.routes, {
  style: f => ({color: D.scenario_colors[f.properties.scenario], weight: f.properties.alternative === 1 ? 4 : 2.5,
    dashArray: [null, null, '9 6', '2 6'][f.properties.alternative] || '2 6', className: 'route'}),
  onEachFeature: (f, l) => { l.bindPopup(routePopup(f.properties), {maxWidth: 420});
    l.bindTooltip(f.properties.route_id, {sticky: true}); routeLayers.push(l); }});
overlays['Crossings of the routes (border, fault, river, shore)'] = points(D.crossings,
  p => ({border: '#e31a1c', fault: '#b15928'})[p.kind] || '#fdbf6f', 4,
  fieldsPopup('name', ['kind', 'gateway', 'route_id', 'km_from_origin'])).addTo(map);
const GATEWAY_COLORS = {fiber_link: '#e7298a', rail: '#8c6d31', road: '#636363', checkpoint: '#000'};
overlays['Border gateways (where routes may cross)'] = points(D.gateways, p => GATEWAY_COLORS[p.kind] || '#000', 3,
  fieldsPopup('name', ['kind', 'kinds', 'source']));
overlays['Amplifier (ILA) and regeneration sites'] = points(D.sites, p => p.site_type === 'regen' ? '#6a3d9a' : '#b2df8a', 3,
  fieldsPopup('site_type', ['route_id', 'km_from_origin', 'nearest_settlement', 'settlement_km', 'cost_usd']));
overlays['Cable landing stations'] = points(D.landing_points, '#08519c', 5,
  fieldsPopup('name', ['cables', 'n_cables', 'first_rfs', 'status'])).addTo(map);
overlays['Hubs'] = points(D.hubs, p => hubColor[p.name], 6, fieldsPopup('name', ['role', 'stations'])).addTo(map);
overlays['Origins and destinations'] = points(D.endpoints, '#fff', 5, fieldsPopup('name', ['role', 'status', 'reason'])).addTo(map);
L.control.layers(null, overlays, {collapsed: true}).addTo(map);

// The planned networks: a layer group per network, its links coloured by role (protection
// dashed) under its nodes coloured by kind. Shown from the panel, or from the page's address
// (map.html#network=<key>: that network alone, the routes, crossings and onward paths hidden).
const NS = D.network_styles || {roles: {}, role_text: {}, nodes: {}};
const kindOrder = Object.keys(NS.nodes);
const networkGroups = {}, linkLayers = [];
function linkPopup(p) {
  const musd = v => v === null || v === undefined ? '' : fmt(v / 1e6, 1);
  return '<b>' + esc(p.network) + ' ' + esc(p.link_id) + ': ' + esc(p.from_name) + ' – ' +
    esc(p.to_name) + '</b>' + table([
    ['role', NS.role_text[p.role] || p.role], ['scenario', p.scenario],
    ['length, km', fmt(p.length_km, 1)], ['cost, M USD', musd(p.cost_usd)],
    ['construction', p.methods], ['submarine, km', fmt(p.submarine_km, 0)],
    ['drilled crossings (HDD), km', fmt(p.hdd_km, 0)], ['km by country', p.countries],
    ['border gateways', p.gateways], ['working path of', p.working_origins],
    ['protection path of', p.protection_origins]]);
}
const ofNetwork = (fc, key) => ({type: 'FeatureCollection', features: fc.features.filter(f => f.properties.network === key)});
for (const n of D.networks) {
  const group = L.layerGroup();
  L.geoJSON(ofNetwork(D.network_links, n.key), {
    style: f => ({color: NS.roles[f.properties.role] || '#555', weight: f.properties.role === 'protection' ? 3 : 4,
      dashArray: f.properties.role === 'protection' ? '8 6' : null, className: 'network-link'}),
    onEachFeature: (f, l) => { l.bindPopup(linkPopup(f.properties), {maxWidth: 440});
      l.bindTooltip(n.key + ' ' + f.properties.link_id + ' (' + f.properties.role + ')', {sticky: true});
      linkLayers.push(l); }}).addTo(group);
  const nodes = ofNetwork(D.network_nodes, n.key);
  nodes.features.sort((a, b) => kindOrder.indexOf(b.properties.kind) - kindOrder.indexOf(a.properties.kind));
  points(nodes, p => (NS.nodes[p.kind] || {}).color || '#000', p => (NS.nodes[p.kind] || {}).radius || 3,
    fieldsPopup('name', ['kind', 'country', 'station_id', 'origins']), 'network-node').addTo(group);
  networkGroups[n.key] = group;
}

const shown = {scenario: {}, alternative: {}, network: {}};
Object.keys(D.scenario_colors).forEach(s => shown.scenario[s] = true);
[1, 2, 3].forEach(a => shown.alternative[a] = true);
const asked = (location.hash.match(/^#network=(.+)$/) || [])[1];
const askedNetwork = asked && D.networks.map(n => n.key).find(k => encodeURIComponent(k) === asked || k === asked);
if (askedNetwork) {  // that network alone: no routes, nor their crossings, nor onward paths
  shown.network[askedNetwork] = true;
  Object.keys(shown.scenario).forEach(s => shown.scenario[s] = false);
  ['Onward paths (best per origin and hub)', 'Crossings of the routes (border, fault, river, shore)']
    .forEach(name => map.removeLayer(overlays[name]));
}
function refresh() {
  routeLayers.forEach(l => {
    const p = l.feature.properties;
    const on = shown.scenario[p.scenario] && shown.alternative[Math.min(p.alternative, 3)];
    if (on && !routeGroup.hasLayer(l)) routeGroup.addLayer(l);
    if (!on && routeGroup.hasLayer(l)) routeGroup.removeLayer(l);
  });
  for (const [k, g] of Object.entries(networkGroups)) {
    if (shown.network[k] && !map.hasLayer(g)) g.addTo(map);
    if (!shown.network[k] && map.hasLayer(g)) map.removeLayer(g);
  }
}
function networkLegend() {
  let h = '<h4>Network plan</h4>';
  for (const n of D.networks)
    h += '<label title="' + esc(n.description) + '"><input type="checkbox" data-k="network" data-v="' +
      esc(n.key) + '"' + (shown.network[n.key] ? ' checked' : '') + '>' + esc(n.key) + '</label>';
  for (const [r, c] of Object.entries(NS.roles)) {
    const bg = r === 'protection' ? 'repeating-linear-gradient(90deg,' + c + ' 0 5px,transparent 5px 8px)' : c;
    h += '<div><span class="sw" style="background:' + bg + '"></span>' + esc(r) + ' links</div>';
  }
  for (const s of Object.values(NS.nodes))
    h += '<div><span class="dot" style="background:' + s.color + '"></span>' + esc(s.label) + '</div>';
  return h;
}
const panel = L.control({position: 'topright'});
panel.onAdd = () => {
  const div = L.DomUtil.create('div', 'panel');
  let h = '<h4>Routes</h4>';
  for (const [s, c] of Object.entries(D.scenario_colors))
    h += '<label><input type="checkbox" data-k="scenario" data-v="' + esc(s) + '"' +
      (shown.scenario[s] ? ' checked' : '') + '>' +
      '<span class="sw" style="background:' + c + '"></span>' + esc(s) + '</label>';
  h += '<h4>Alternatives</h4>';
  for (const [a, n] of [[1, '#1 cheapest'], [2, '#2 diverse'], [3, '#3 diverse']])
    h += '<label><input type="checkbox" data-k="alternative" data-v="' + a + '" checked>' + n + '</label>';
  if (D.networks.length) h += networkLegend();
  div.innerHTML = h;
  div.querySelectorAll('input').forEach(i => i.addEventListener('change', () => {
    shown[i.dataset.k][i.dataset.v] = i.checked; refresh(); }));
  L.DomEvent.disableClickPropagation(div);
  return div;
};
panel.addTo(map);
refresh();
const extent = L.geoJSON(askedNetwork ? ofNetwork(D.network_links, askedNetwork) : D.routes).getBounds();
map.fitBounds(extent.isValid() ? extent.pad(0.05) : D.basemap.bounds);
const linkOf = (key, id) => linkLayers.find(l => l.feature.properties.network === key && l.feature.properties.link_id === id);
window.corridor = {
  routeIds: () => routeLayers.map(l => l.feature.properties.route_id),
  shownRouteIds: () => routeGroup.getLayers().map(l => l.feature.properties.route_id),
  openRoute: id => routeLayers.find(l => l.feature.properties.route_id === id).openPopup(),
  networks: () => D.networks.map(n => n.key),
  shownNetworks: () => Object.keys(networkGroups).filter(k => map.hasLayer(networkGroups[k])),
  linkIds: key => linkLayers.filter(l => l.feature.properties.network === key).map(l => l.feature.properties.link_id),
  openLink: (key, id) => {  // shows the network first: a popup opens on a link on the map
    shown.network[key] = true;
    const box = document.querySelector('input[data-k=network][data-v="' + CSS.escape(key) + '"]');
    if (box) box.checked = true;
    refresh();
    linkOf(key, id).openPopup(linkOf(key, id).getCenter());
  }};
