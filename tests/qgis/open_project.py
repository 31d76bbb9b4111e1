"""Run by Debian's /usr/bin/python3 (PyQGIS): open a .qgz and a plan.gpkg headless, report, render a PNG.

Usage: open_project.py PROJECT.qgz PLAN.gpkg OUT.png — prints one JSON object on stdout.
"""

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsLayerTreeGroup,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402

# Bắc Kạn in EPSG:9213 (E, N metres)
EXTENT = (385_000, 2_408_000, 478_000, 2_520_000)


def _categorised_by(renderer) -> str | None:
    return renderer.classAttribute() if renderer and renderer.type() == "categorizedSymbol" else None


def main(project_path: str, gpkg_path: str, png_path: str) -> dict:
    project = QgsProject.instance()
    assert project.read(project_path), f"QGIS could not read {project_path}"
    root = project.layerTreeRoot()
    groups = [
        {"name": g.name(), "layers": [child.layerId() for child in g.findLayers()]}
        for g in root.children()
        if isinstance(g, QgsLayerTreeGroup)
    ]
    layers = {}
    for layer_id, layer in project.mapLayers().items():
        renderer = layer.renderer() if isinstance(layer, QgsVectorLayer) else None
        layers[layer_id] = {
            "name": layer.name(),
            "valid": layer.isValid(),
            "provider": layer.providerType(),
            "features": layer.featureCount() if layer.isValid() else None,
            "renderer": renderer.type() if renderer else None,
            "field": renderer.classAttribute()
            if renderer and renderer.type() == "categorizedSymbol"
            else None,
        }
    settings = QgsMapSettings()
    settings.setDestinationCrs(project.crs())
    settings.setLayers([layer for tree_layer in root.findLayers() if (layer := tree_layer.layer())])
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setOutputSize(QSize(900, 1084))
    settings.setExtent(QgsRectangle(*EXTENT))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(png_path, "PNG")
    step = 5
    drawn = sum(
        1
        for x in range(0, image.width(), step)
        for y in range(0, image.height(), step)
        if QColor(image.pixel(x, y)).name() != "#ffffff"
    )
    sampled = (image.width() // step + 1) * (image.height() // step + 1)
    package = {}
    for name in ("projects_polygon", "communes", "districts"):
        layer = QgsVectorLayer(f"{gpkg_path}|layername={name}", name, "ogr")
        renderer = layer.renderer()
        package[name] = {
            "valid": layer.isValid(),
            "crs": layer.crs().authid(),
            "renderer": renderer.type() if renderer else None,
            "field": renderer.classAttribute()
            if renderer and renderer.type() == "categorizedSymbol"
            else None,
        }
    return {
        "crs": project.crs().authid(),
        "groups": groups,
        "layers": layers,
        "drawn_fraction": drawn / sampled,
        "package": package,
    }


if __name__ == "__main__":
    app = QgsApplication([], False)
    app.initQgis()
    try:
        print(json.dumps(main(*sys.argv[1:4])))
    finally:
        app.exitQgis()
