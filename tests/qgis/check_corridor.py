"""Open corridor.gpkg the way a planner does, in QGIS; print a JSON report.

Run with the Python that has QGIS (e.g. /usr/bin/python3) and QT_QPA_PLATFORM=offscreen:
    python3 check_corridor.py data/processed/corridor.gpkg [out.png]
"""

import json
import os
import sys

from qgis.core import QgsApplication, QgsProject, QgsVectorLayer

app = QgsApplication([], False)
app.initQgis()
gpkg = sys.argv[1]
report = {"layers": {}, "project": {}}
for name in (
    "routes",
    "route_segments",
    "sites",
    "crossings",
    "endpoints",
    "landing_points",
    "shared_risk_segments",
    "shared_risk_points",
    "network_nodes",
    "network_links",
    "network_paths",
):
    layer = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr")
    # QGIS applies the GeoPackage's default style when the layer loads (as on drag and drop)
    layer.loadDefaultStyle()
    categories = getattr(layer.renderer(), "categories", list)()
    report["layers"][name] = {
        "valid": layer.isValid(),
        "features": layer.featureCount(),
        "crs": layer.crs().authid(),
        "renderer": layer.renderer().type() if layer.renderer() else None,
        "labels": layer.labelsEnabled(),
        "categories": [c.value() for c in categories],
        # each category's first symbol layer: its line style (lines) or marker shape (points)
        "symbols": {
            c.value(): c.symbol().symbolLayer(0).properties().get("line_style")
            or c.symbol().symbolLayer(0).properties().get("name")
            for c in categories
        },
        "styles_in_db": layer.listStylesInDatabase()[0],
    }
project = QgsProject.instance()
ok = project.read(f"geopackage:{gpkg}?projectName=corridor plan")
layers = project.mapLayers().values()
report["project"] = {
    "read": ok,
    "title": project.title(),
    "layers": sorted(layer.name() for layer in layers),
    "all_valid": all(layer.isValid() for layer in layers),
    "shown": sorted(layer.name() for layer in project.layerTreeRoot().checkedLayers()),
    "tables": sorted(layer.name() for layer in layers if not layer.isSpatial()),
}
if len(sys.argv) > 2:
    from qgis.core import QgsMapRendererParallelJob, QgsMapSettings
    from qgis.PyQt.QtCore import QSize

    settings = QgsMapSettings()
    visible = [
        project.layerTreeRoot().findLayer(lid).layer()
        for lid in project.layerTreeRoot().checkedLayers()
        and [lyr.id() for lyr in project.layerTreeRoot().checkedLayers()]
    ]
    settings.setLayers(visible)
    settings.setDestinationCrs(project.crs())
    routes = project.mapLayersByName("routes")[0]
    settings.setExtent(settings.layerExtentToOutputExtent(routes, routes.extent()).buffered(2e5))
    settings.setOutputSize(QSize(900, 900))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(sys.argv[2])
print(json.dumps(report), flush=True)
# QGIS 3.22's teardown can crash a headless process after the work is done; skip it
os._exit(0)
