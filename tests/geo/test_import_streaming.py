"""The importer streams a layer in batches: many small batches give exactly what one batch gives."""

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box
from sqlalchemy import text

from geo.ingest import importer
from geo.ingest.importer import ImportError_, import_any

FEATURES = 23


def _parcels_in_vn2000(path):
    """23 parcels in VN-2000 / TM-3 (reprojected on import): a bow-tie and one far away near the end."""
    geoms = [box(430_000 + 600 * i, 2_450_000, 430_500 + 600 * i, 2_450_500) for i in range(FEATURES)]
    geoms[19] = Polygon(
        [(441_400, 2_450_000), (441_900, 2_450_500), (441_900, 2_450_000), (441_400, 2_450_500)]
    )
    geoms[21] = box(100_000, 1_000_000, 100_500, 1_000_500)  # far outside the province
    frame = gpd.GeoDataFrame(
        {
            "maDoiTuong": [f"T06-QQ01-{i:08d}" for i in range(FEATURES)],
            "ten": [f"Thửa {i}" for i in range(FEATURES)],
            "maLoaiDat": [("LUC", "RSX", "ODT", "ZZZ")[i % 4] for i in range(FEATURES)],
            "dienTich": [0.25 * i if i % 5 else None for i in range(FEATURES)],
            "quyHoachBatDau": ["2023-11-03"] * FEATURES,
        },
        geometry=geoms,
        crs="EPSG:9213",
    )
    frame.to_file(path, driver="GPKG")
    return path


def _rows(engine, layer_key: str) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                f"SELECT fid, feature_id, name, landuse_code, landuse_name, plan_start, properties, source, "
                f"encode(ST_AsEWKB(geom), 'hex') FROM layers.{layer_key} ORDER BY fid"
            )
        ).all()


def _catalog(engine, layer_key: str) -> dict:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT geometry_type, feature_count, legend, style, data_quality FROM sheet_layer "
                "WHERE layer_key = :k"
            ),
            {"k": layer_key},
        )
        return dict(row.mappings().one())


def _summary(result) -> dict:
    layer = result.layers[0]
    return {
        "count": layer.feature_count,
        "type": layer.geometry_type,
        "repaired": layer.repaired,
        "outside": (layer.outside_envelope, layer.outside_examples),
        "unknown": layer.unknown_landuse_codes,
        "crs": layer.crs_in,
    }


@pytest.fixture
def batches_read(monkeypatch):
    """Counts the batches the importer reads (the real reader, only counted)."""
    seen = []
    real = importer._batches

    def counting(*args, **kwargs):
        for batch in real(*args, **kwargs):
            seen.append(len(batch[1]))
            yield batch

    monkeypatch.setattr(importer, "_batches", counting)
    return seen


def test_many_small_batches_import_the_same_rows_as_one(engine, tmp_path, monkeypatch, batches_read):
    path = _parcels_in_vn2000(tmp_path / "parcels_9213.gpkg")
    monkeypatch.setenv("PLANVIEW_IMPORT_BATCH_SIZE", "1000")
    whole = import_any(engine, path, sheet_id="P8", layer_key="stream_whole")
    assert batches_read == [FEATURES]
    batches_read.clear()
    monkeypatch.setenv("PLANVIEW_IMPORT_BATCH_SIZE", "4")
    streamed = import_any(engine, path, sheet_id="P8", layer_key="stream_batches")
    assert batches_read == [4, 4, 4, 4, 4, 3]

    assert _summary(streamed) == _summary(whole)
    summary = _summary(streamed)
    assert summary["count"] == FEATURES and summary["type"] == "polygon"
    assert len(summary["repaired"]) == 1 and "T06-QQ01-00000019" in summary["repaired"][0]
    assert summary["outside"][0] == 1 and "T06-QQ01-00000021" in summary["outside"][1][0]
    assert summary["unknown"] == {"ZZZ": 5}
    assert _rows(engine, "stream_batches") == _rows(engine, "stream_whole")
    rows = _rows(engine, "stream_batches")
    assert len(rows) == FEATURES
    assert rows[1][1:5] == ("T06-QQ01-00000001", "Thửa 1", "RSX", "Đất rừng sản xuất")
    assert rows[3][6] == {"maLoaiDat": "ZZZ", "dienTich": 0.75}
    assert str(rows[0][5]) == "2023-11-03"
    whole_catalog, streamed_catalog = _catalog(engine, "stream_whole"), _catalog(engine, "stream_batches")
    assert streamed_catalog == whole_catalog
    assert [e["code"] for e in streamed_catalog["legend"]] == ["LUC", "ODT", "RSX"]


def test_missing_geometries_are_counted_over_every_batch(engine, tmp_path, monkeypatch):
    geoms = [box(105.8 + 0.01 * i, 22.1, 105.805 + 0.01 * i, 22.105) for i in range(10)]
    geoms[2] = geoms[7] = None
    path = tmp_path / "holes.geojson"
    gpd.GeoDataFrame({"ten": [f"thửa {i}" for i in range(10)]}, geometry=geoms, crs="EPSG:4326").to_file(path)
    monkeypatch.setenv("PLANVIEW_IMPORT_BATCH_SIZE", "3")
    with pytest.raises(ImportError_, match=r"2 feature\(s\) have no geometry.*'thửa 2'.*'thửa 7'"):
        import_any(engine, path, sheet_id="P8", layer_key="stream_holes")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('layers.stream_holes')")).scalar() is None
