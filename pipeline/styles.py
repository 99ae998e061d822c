"""QGIS styles, the QGIS project and field descriptions, stored inside the GeoPackage.

QGIS reads a layer's default style from the GeoPackage's ``layer_styles`` table and can open a
project stored in its ``qgis_projects`` table ("Open project from GeoPackage"). The templates in
``pipeline/qgis/`` were authored with QGIS (``tools/author_qgis_templates.py``); here they are
filled in (one colour per scenario); ``io.write_gpkg`` writes them with plain SQLite, so building
needs no QGIS.
Layer and field descriptions go into ``gpkg_contents`` and the ``gpkg_data_columns`` table of the
GeoPackage schema extension, which QGIS shows as field comments.
"""

from __future__ import annotations

import copy
import io as _io
import xml.etree.ElementTree as ET
import zipfile
from importlib import resources

from . import catalogue

TEMPLATE_COLOR = "215,48,31"
PALETTE = [
    "215,48,31",
    "33,113,181",
    "35,139,69",
    "106,81,163",
    "255,127,0",
    "166,86,40",
    "231,41,138",
    "77,77,77",
]
PROJECT_NAME = "corridor plan"
STYLED_LAYERS = catalogue.EXPORT_LAYERS  # every layer export writes comes styled
SHARED_STYLES = {"competitor_paths": "onward_paths"}
"""Layers styled with another layer's template (the same kind of feature, one colour per hub)."""
RASTER_STYLES = {  # QML template -> the catalogue key of the sidecar file export writes
    "cost_surface.qml": "cost_style",
    "route_frequency.qml": "frequency_style",
}


def template(name: str) -> str:
    """A template shipped in ``pipeline/qgis/``."""
    return resources.files("pipeline").joinpath("qgis", name).read_text()


def _categories(renderer: ET.Element, scenarios: list[tuple[str, str]]) -> None:
    """Turn the template's one category into one per (value, label), each in its own colour."""
    cats, syms = renderer.find("categories"), renderer.find("symbols")
    cat0, sym0 = cats.find("category"), syms.find("symbol")
    cats.remove(cat0)
    syms.remove(sym0)
    text0 = ET.tostring(sym0, encoding="unicode")
    for i, (key, label) in enumerate(scenarios):
        cat = copy.deepcopy(cat0)
        cat.set("symbol", str(i))
        cat.set("value", key)
        cat.set("label", label)
        cats.append(cat)
        sym = ET.fromstring(text0.replace(TEMPLATE_COLOR, PALETTE[i % len(PALETTE)]))
        sym.set("name", str(i))
        syms.append(sym)


def layer_qml(name: str, categories: dict[str, list[tuple[str, str]]]) -> str:
    """The QML style of a layer, with one category per value for the layers of ``categories``.

    Routes get one category per scenario, onward paths one per hub.
    """
    text = template(f"{SHARED_STYLES.get(name, name)}.qml")
    if name not in categories:
        return text
    root = ET.fromstring(text.split("\n", 1)[1] if text.startswith("<!DOCTYPE") else text)
    _categories(root.find("renderer-v2"), categories[name])
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(
        root, encoding="unicode"
    )


def project_qgs(categories: dict[str, list[tuple[str, str]]], title: str) -> str:
    """The project, its routes coloured per scenario and onward paths per hub."""
    text = template("plan.qgs")
    root = ET.fromstring(text.split("\n", 1)[1] if text.startswith("<!DOCTYPE") else text)
    for layer in root.iter("maplayer"):
        source = layer.findtext("datasource") or ""
        for name, items in categories.items():
            if source.endswith(f"layername={name}"):
                _categories(layer.find("renderer-v2"), items)
    root.find("title").text = title
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(
        root, encoding="unicode"
    )


def qgz_hex(qgs: str) -> str:
    """A project as QGIS stores it in a GeoPackage: a zipped .qgs, hex-encoded."""
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("corridor_plan.qgs", qgs)
    return buf.getvalue().hex()


def gpkg_extras(
    categories: dict[str, list[tuple[str, str]]],
    title: str,
    layer_docs: dict[str, str],
    *,
    field_docs: dict[str, dict[str, str]],
) -> dict:
    """Everything ``io.write_gpkg`` stores besides the layers: styles, project, descriptions."""
    return {
        "styles": {name: layer_qml(name, categories) for name in STYLED_LAYERS},
        "project": (PROJECT_NAME, qgz_hex(project_qgs(categories, title))),
        "layer_docs": layer_docs,
        "field_docs": field_docs,
    }
