"""Author the QGIS style and project templates in pipeline/qgis/ (needs QGIS; a dev tool).

The pipeline does not need QGIS: it stores these templates in corridor.gpkg, filling in the
scenario categories. Regenerate them after changing a layer's fields, with QGIS installed
(`apt-get install qgis python3-qgis`) and a built data/processed:

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tools/author_qgis_templates.py [PROCESSED_DIR]
"""

import sys
from pathlib import Path

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsColorRampShader,
    QgsLineSymbol,
    QgsMarkerSymbol,
    QgsPalLayerSettings,
    QgsProject,
    QgsProperty,
    QgsRasterLayer,
    QgsRasterShader,
    QgsRendererCategory,
    QgsSingleBandPseudoColorRenderer,
    QgsSingleSymbolRenderer,
    QgsSymbolLayer,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtGui import QColor

REPO = Path(__file__).resolve().parents[1]
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "data" / "processed"
TEMPLATES = REPO / "pipeline" / "qgis"


def categorized(field, items, make):
    return QgsCategorizedSymbolRenderer(
        field, [QgsRendererCategory(v, make(c), v) for v, c in items]
    )


def line(color, width, expr=None, style="solid"):
    s = QgsLineSymbol.createSimple({"color": color, "width": str(width), "line_style": style})
    if expr:
        s.symbolLayer(0).setDataDefinedProperty(
            QgsSymbolLayer.PropertyStrokeWidth, QgsProperty.fromExpression(expr)
        )
    return s


def marker(name, color, size):
    return QgsMarkerSymbol.createSimple(
        {"name": name, "color": color, "size": str(size), "outline_color": "#222222"}
    )


def label(layer, field, size=9, expression=False):
    s = QgsPalLayerSettings()
    s.fieldName = field
    s.isExpression = expression
    fmt = s.format()
    fmt.setSize(size)
    s.setFormat(fmt)
    layer.setLabeling(QgsVectorLayerSimpleLabeling(s))
    layer.setLabelsEnabled(True)


def pseudocolor(layer, stops):
    ramp = QgsColorRampShader()
    ramp.setColorRampType(QgsColorRampShader.Interpolated)
    ramp.setColorRampItemList(
        [QgsColorRampShader.ColorRampItem(v, QColor(c), lab) for v, c, lab in stops]
    )
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(ramp)
    layer.setRenderer(QgsSingleBandPseudoColorRenderer(layer.dataProvider(), 1, shader))
    layer.setOpacity(0.85)


ROLES = {
    "working": ("#d7301f", 1.2, "solid"),
    "protection": ("#2171b5", 1.0, "dash"),
    "shared": ("#6a51a3", 2.0, "solid"),
}
"""Network links by role: colour, width (mm), line style; paths take the same, thinner."""


def by_role(roles, width=None):
    """A categorized renderer on ``role``, each role in its colour and line style."""
    return QgsCategorizedSymbolRenderer(
        "role",
        [
            QgsRendererCategory(r, line(c, width or w, None, s), r)
            for r, (c, w, s) in ROLES.items()
            if r in roles
        ],
    )


def network(vec):
    """The network layers: links and paths by role, nodes by kind (labelled where they matter)."""
    vec["network_links"].setRenderer(by_role(ROLES))
    vec["network_paths"].setRenderer(by_role(("working", "protection"), width=0.7))
    kinds = [
        ("origin", "circle", "#006d2c", 3.4),
        ("landing_station", "star", "#08519c", 4.0),
        ("junction", "circle", "#000000", 1.8),
        ("gateway", "square", "#e7298a", 2.4),
        ("ILA", "triangle", "#525252", 1.4),
        ("regen", "triangle", "#6a51a3", 2.2),
    ]
    vec["network_nodes"].setRenderer(
        QgsCategorizedSymbolRenderer(
            "kind",
            [QgsRendererCategory(k, marker(shape, c, size), k) for k, shape, c, size in kinds],
        )
    )
    label(
        vec["network_nodes"],
        "CASE WHEN \"kind\" IN ('origin', 'landing_station') THEN \"name\" END",
        expression=True,
    )


def main():
    app = QgsApplication([], False)
    app.initQgis()
    TEMPLATES.mkdir(exist_ok=True)
    gpkg = OUT / "corridor.gpkg"
    vec = {
        n: QgsVectorLayer(f"{gpkg}|layername={n}", n, "ogr")
        for n in (
            "routes",
            "route_segments",
            "sites",
            "crossings",
            "fault_crossings",
            "endpoints",
            "landing_points",
            "shared_risk_segments",
            "shared_risk_points",
            "onward_paths",
            "hubs",
            "gateways",
            "network_nodes",
            "network_links",
            "network_paths",
        )
    }
    tables = {
        n: QgsVectorLayer(f"{gpkg}|layername={n}", n, "ogr")
        for n in ("network_summary", "network_cuts", "network_latency")
    }
    width = 'max(0.3, 1.4 - 0.45 * ("alternative" - 1))'
    vec["routes"].setRenderer(
        categorized("scenario", [("SCENARIO", "#d7301f")], lambda c: line(c, 1.4, width))
    )
    vec["route_segments"].setRenderer(
        categorized(
            "method",
            [
                ("buried_row", "#1a9850"),
                ("buried_flat", "#fee08b"),
                ("buried_hilly", "#f46d43"),
                ("buried_mountain", "#a50026"),
                ("hdd", "#4575b4"),
                ("submarine", "#313695"),
            ],
            lambda c: line(c, 1.0),
        )
    )
    vec["sites"].setRenderer(
        categorized(
            "site_type",
            [("ILA", "#525252"), ("regen", "#6a51a3")],
            lambda c: marker("triangle", c, 2.2),
        )
    )
    vec["crossings"].setRenderer(
        categorized(
            "kind",
            [
                ("border", "#000000"),
                ("river", "#2171b5"),
                ("fault", "#b15928"),
                ("landfall", "#08306b"),
            ],
            lambda c: marker("cross2", c, 2.6),
        )
    )
    vec["fault_crossings"].setRenderer(
        QgsSingleSymbolRenderer(marker("half_square", "#b15928", 3.0))
    )
    label(vec["fault_crossings"], "slip_type", size=7)
    vec["endpoints"].setRenderer(
        categorized(
            "role",
            [("origin", "#006d2c"), ("waypoint", "#fd8d3c"), ("destination", "#08519c")],
            lambda c: marker("circle", c, 3.2),
        )
    )
    label(vec["endpoints"], "name")
    vec["landing_points"].setRenderer(QgsSingleSymbolRenderer(marker("star", "#08519c", 4.0)))
    label(vec["landing_points"], "name")
    vec["shared_risk_segments"].setRenderer(QgsSingleSymbolRenderer(line("#ff7f00", 3.0)))
    vec["shared_risk_segments"].setOpacity(0.6)
    vec["shared_risk_points"].setRenderer(QgsSingleSymbolRenderer(marker("x", "#e31a1c", 4.0)))
    vec["onward_paths"].setRenderer(
        categorized(
            "hub",
            [("HUB", "#d7301f")],
            lambda c: line(c, 0.9, None, "dash"),
        )
    )
    vec["hubs"].setRenderer(
        categorized(
            "role",
            [("hub", "#08306b"), ("incumbent gateway", "#737373")],
            lambda c: marker("diamond", c, 4.0),
        )
    )
    label(vec["hubs"], "name")
    vec["gateways"].setRenderer(
        categorized(
            "kind",
            [
                ("fiber_link", "#e7298a"),
                ("rail", "#8c6d31"),
                ("road", "#636363"),
                ("checkpoint", "#000000"),
            ],
            lambda c: marker("square", c, 2.4),
        )
    )
    label(vec["gateways"], "name", size=7)
    vec["gateways"].setScaleBasedVisibility(True)
    vec["gateways"].setMinimumScale(1e7)
    network(vec)
    for name, scale in (
        ("sites", 5e6),
        ("crossings", 2e7),
        ("fault_crossings", 1e7),
        ("route_segments", 1e7),
    ):
        vec[name].setScaleBasedVisibility(True)  # dense point layers appear as one zooms in
        vec[name].setMinimumScale(scale)
    cost = QgsRasterLayer(str(OUT / "cost" / "unit_cost_usd_per_km.tif"), "cost surface")
    pseudocolor(
        cost,
        [
            (20000, "#ffffcc", "20k USD/km"),
            (45000, "#fd8d3c", "45k"),
            (90000, "#bd0026", "90k"),
            (150000, "#49006a", "150k"),
        ],
    )
    freq = QgsRasterLayer(str(OUT / "route_frequency.tif"), "route frequency")
    pseudocolor(
        freq, [(0.0, "#ffffff00", "0"), (0.05, "#c6dbef", "5 %"), (1.0, "#08306b", "100 %")]
    )
    for name, layer in vec.items():
        layer.saveNamedStyle(str(TEMPLATES / f"{name}.qml"))
    cost.saveNamedStyle(str(TEMPLATES / "cost_surface.qml"))
    freq.saveNamedStyle(str(TEMPLATES / "route_frequency.qml"))
    project = QgsProject.instance()
    project.setFilePathStorage(Qgis.FilePathType.Relative)
    project.setTitle("Eurasian fiber corridor plan")
    project.setCrs(cost.crs())
    order = [
        "hubs",
        "gateways",
        "landing_points",
        "endpoints",
        "network_nodes",
        "shared_risk_points",
        "sites",
        "fault_crossings",
        "crossings",
        "shared_risk_segments",
        "network_links",
        "routes",
        "route_segments",
        "network_paths",
        "onward_paths",
    ]  # top of the legend first
    for layer in (cost, freq, *[vec[n] for n in reversed(order)]):  # each goes on top
        project.addMapLayer(layer)
    for layer in tables.values():  # the network's tables, below the map layers
        project.addMapLayer(layer, False)
        project.layerTreeRoot().addLayer(layer)
    for layer in (
        vec["route_segments"],
        vec["onward_paths"],
        vec["network_paths"],
        freq,
    ):  # busy layers start switched off
        project.layerTreeRoot().findLayer(layer.id()).setItemVisibilityChecked(False)
    project.write(str(OUT / "plan.qgs"))
    (TEMPLATES / "plan.qgs").write_text((OUT / "plan.qgs").read_text())
    (OUT / "plan.qgs").unlink()
    app.exitQgis()


if __name__ == "__main__":
    main()
