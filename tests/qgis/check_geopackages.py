"""Open every layer of every GeoPackage given, in QGIS; print a JSON report.

For each file: the messages QGIS logged while opening it (GDAL's warnings arrive there, such
as the one about an unsupported GeoPackage version) and, per layer, its feature count and how
many geometries GEOS finds invalid. Run with the Python that has QGIS and
QT_QPA_PLATFORM=offscreen:
    python3 check_geopackages.py data/processed/*.gpkg
"""

import json
import os
import sys

from qgis.core import Qgis, QgsApplication, QgsProviderRegistry, QgsVectorLayer

app = QgsApplication([], False)
app.initQgis()
messages = []


def _logged(message, tag, level):
    if level >= Qgis.Warning:
        messages.append(f"{tag}: {message}")


QgsApplication.messageLog().messageReceived.connect(_logged)
report = {}
for path in sys.argv[1:]:
    messages.clear()
    layers = {}
    meta = QgsProviderRegistry.instance().providerMetadata("ogr")
    for sub in meta.querySublayers(path):
        if sub.name() in ("layer_styles", "qgis_projects"):
            continue
        layer = QgsVectorLayer(f"{path}|layername={sub.name()}", sub.name(), "ogr")
        invalid = 0
        if layer.isSpatial():
            invalid = sum(
                1 for f in layer.getFeatures() if f.hasGeometry() and not f.geometry().isGeosValid()
            )
        layers[sub.name()] = {
            "valid": layer.isValid(),
            "features": layer.featureCount(),
            "invalid_geometries": invalid,
        }
    app.processEvents()
    report[path] = {"layers": layers, "warnings": list(messages)}
print(json.dumps(report), flush=True)
# QGIS 3.22's teardown can crash a headless process after the work is done; skip it
os._exit(0)
