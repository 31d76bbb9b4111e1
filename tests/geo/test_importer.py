"""The importer against the real PostGIS: CRS handling, sanity checks, repairs, atomic replace, packages."""

import json
import shutil
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from pyproj import Geod
from shapely.geometry import LineString, Point, Polygon, box
from sqlalchemy import text
from typer.testing import CliRunner

from geo.ingest import importer
from geo.ingest.importer import ImportError_, decide_sheet, import_any

# toolchain.md §3: EPSG:9213 (450000, 2450000) → (106.017144205, 22.146805463)
VN2000_POINT = (450000.0, 2450000.0)
WGS84_EXPECTED = (106.017144205, 22.146805463)
INSIDE = (105.83, 22.15)  # near Bắc Kạn town


def _frame(geoms, crs="EPSG:4326", **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=list(geoms), crs=crs)


def _parcel(lon: float, lat: float, size: float = 0.01) -> Polygon:
    return box(lon, lat, lon + size, lat + size)


def _snapshot(engine, layer_key: str) -> dict:
    """What a user could observe of a layer: rows, a checksum of them, its catalog row, the data version."""
    with engine.connect() as conn:
        count, checksum = conn.execute(
            text(
                f"SELECT count(*), md5(string_agg(concat_ws('|', fid, feature_id, name, landuse_code, "
                f"properties::text, ST_AsEWKT(geom)), ',' ORDER BY fid)) FROM layers.{layer_key}"
            )
        ).one()
        catalog = conn.execute(
            text("SELECT * FROM sheet_layer WHERE layer_key = :k"), {"k": layer_key}
        ).mappings()
        version = conn.execute(text("SELECT version FROM data_version")).scalar_one()
        return {"count": count, "checksum": checksum, "catalog": dict(catalog.one()), "version": version}


def _still_the_baseline(engine, baseline: dict) -> dict:
    """The layer's snapshot now, checked to hold the baseline's rows and catalog row (the data version
    may have moved since: other tests import other layers in between, whatever order they run in)."""
    now = _snapshot(engine, "baseline_parcels")
    assert now == {**baseline, "version": now["version"]}
    return now


def _data_version(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT version FROM data_version")).scalar_one()


@pytest.fixture(scope="module")
def baseline(engine, tmp_path_factory) -> dict:
    """A layer ``baseline_parcels`` with three parcels, and its snapshot."""
    path = tmp_path_factory.mktemp("baseline") / "baseline.geojson"
    _frame(
        [_parcel(105.80, 22.10), _parcel(105.85, 22.12), _parcel(105.90, 22.14)],
        ten=["Thửa 1", "Thửa 2", "Thửa 3"],
        maLoaiDat=["LUA", "ODT", "RSX"],
    ).to_file(path, driver="GeoJSON")
    import_any(engine, path, sheet_id="P8", layer_key="baseline_parcels")
    return _snapshot(engine, "baseline_parcels")


def test_vn2000_geopackage_lands_within_one_metre(engine, tmp_path):
    path = tmp_path / "vn2000.gpkg"
    _frame([Point(*VN2000_POINT)], crs="EPSG:9213", ten=["Mốc VN-2000"]).to_file(path, driver="GPKG")
    before = _data_version(engine)

    result = import_any(engine, path, sheet_id="P2.b", layer_key="vn2000_marks")

    assert result.layers[0].crs_in.startswith("EPSG:9213")
    with engine.connect() as conn:
        lon, lat, name, quality = conn.execute(
            text("SELECT ST_X(geom), ST_Y(geom), name, geometry_quality FROM layers.vn2000_marks")
        ).one()
        catalog = (
            conn.execute(
                text(
                    "SELECT sheet_id, geometry_type, feature_count, table_name, loaded_at FROM sheet_layer "
                    "WHERE layer_key = 'vn2000_marks'"
                )
            )
            .mappings()
            .one()
        )
    _, _, distance = Geod(ellps="WGS84").inv(lon, lat, *WGS84_EXPECTED)
    assert distance < 1.0
    assert name == "Mốc VN-2000" and quality == "exact"
    assert catalog["sheet_id"] == "P2.b" and catalog["geometry_type"] == "point"
    assert catalog["feature_count"] == 1 and catalog["table_name"] == "vn2000_marks"
    assert catalog["loaded_at"] is not None
    assert _data_version(engine) == before + 1


def test_geojson_attributes_map_to_the_standard_columns(engine, tmp_path):
    path = tmp_path / "quy_hoach.geojson"
    _frame(
        [_parcel(105.8, 22.1), _parcel(105.9, 22.2)],
        maDoiTuong=["T06-QQ01-00000001", "T06-QQ01-00000002"],
        ten=["Khu lúa Bạch Thông", "Đất ở đô thị"],
        maLoaiDat=["lua", "XYZ"],
        quyHoachBatDau=["2023-11-03", "2023-11-03"],
        quyHoachKetThuc=["2030-12-31", "2030"],
        dienTich=[12.5, 7.25],
    ).to_file(path, driver="GeoJSON")

    result = import_any(
        engine, path, sheet_id="P8", layer_key="land_use_plan_test", title="Quy hoạch đất thử"
    )

    assert result.layers[0].unknown_landuse_codes == {"XYZ": 1}
    with engine.connect() as conn:
        rows = (
            conn.execute(
                text(
                    "SELECT feature_id, name, landuse_code, landuse_name, plan_start, plan_end, "
                    "properties, source FROM layers.land_use_plan_test ORDER BY feature_id"
                )
            )
            .mappings()
            .all()
        )
        legend, title = conn.execute(
            text("SELECT legend, title_vi FROM sheet_layer WHERE layer_key = 'land_use_plan_test'")
        ).one()
    first, second = rows
    assert first["feature_id"] == "T06-QQ01-00000001" and first["name"] == "Khu lúa Bạch Thông"
    assert first["landuse_code"] == "LUA" and first["landuse_name"] == "Đất trồng lúa"
    assert str(first["plan_start"]) == "2023-11-03" and str(first["plan_end"]) == "2030-12-31"
    assert first["properties"] == {"dienTich": 12.5}
    assert first["source"] == "quy_hoach.geojson"
    # an unknown code and a bare year are kept as given, never guessed into columns
    assert second["landuse_code"] is None and second["properties"]["maLoaiDat"] == "XYZ"
    assert second["plan_end"] is None and second["properties"]["quyHoachKetThuc"] == "2030"
    assert title == "Quy hoạch đất thử"
    assert [(e["code"], e["color"]) for e in legend] == [("LUA", "#FFFC82")]


def test_zipped_shapefile_imports(engine, tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    _frame(
        [LineString([(105.8, 22.1), (105.9, 22.2)]), LineString([(105.7, 22.0), (105.75, 22.3)])],
        crs="EPSG:4326",
        ten=["Đường 1", "Đường 2"],
    ).to_file(folder / "duong.shp", driver="ESRI Shapefile", encoding="UTF-8")
    archive = tmp_path / "duong.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in folder.iterdir():
            z.write(part, part.name)

    result = import_any(engine, archive, sheet_id="P7.a", layer_key="roads_from_shp")

    assert result.layers[0].feature_count == 2 and result.layers[0].geometry_type == "line"
    with engine.connect() as conn:
        names = conn.execute(text("SELECT name FROM layers.roads_from_shp ORDER BY name")).scalars().all()
    assert names == ["Đường 1", "Đường 2"]


def test_a_cad_drawing_in_vn2000_imports_with_its_crs_named(engine, tmp_path):
    """Survey and design offices hand over AutoCAD drawings: DXF has no CRS, so --crs names it."""
    x, y = VN2000_POINT
    drawing = tmp_path / "ban_ve.dxf"
    with warnings.catch_warnings():  # a drawing without a CRS is the point here
        warnings.filterwarnings("ignore", message="'crs' was not provided")
        pyogrio.write_dataframe(
            _frame(
                [LineString([(x, y), (x + 500, y + 200)]), box(x + 100, y - 100, x + 200, y)],
                crs=None,
                Layer=["ranh_gioi", "thua_dat"],
            ),
            drawing,
            driver="DXF",
        )

    with pytest.raises(ImportError_, match="carries no coordinate reference system; pass --crs"):
        import_any(engine, drawing, sheet_id="P8", layer_key="cad_drawing")
    result = import_any(engine, drawing, sheet_id="P8", layer_key="cad_drawing", crs="EPSG:9213")

    assert result.layers[0].feature_count == 2
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT properties->>'Layer' AS cad_layer, ST_X(ST_StartPoint(geom)) AS lon, "
                "ST_Y(ST_StartPoint(geom)) AS lat FROM layers.cad_drawing ORDER BY cad_layer"
            )
        ).all()
    assert [r.cad_layer for r in rows] == ["ranh_gioi", "thua_dat"]  # the CAD layer names are kept
    _, _, distance = Geod(ellps="WGS84").inv(rows[0].lon, rows[0].lat, *WGS84_EXPECTED)
    assert distance < 1.0


def _write_bad_files(folder: Path) -> dict[str, tuple[Path, dict, str]]:
    """Each bad input, the options it is imported with, and a word the refusal must contain."""
    broken = folder / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [{"type": "Feat')
    metres = folder / "metres_as_degrees.geojson"  # GeoJSON is WGS 84 by definition: these are metres
    metres.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Point", "coordinates": VN2000_POINT},
                    }
                ],
            }
        )
    )
    degrees = folder / "degrees_as_metres.gpkg"
    _frame([Point(*INSIDE)], crs="EPSG:9213").to_file(degrees, driver="GPKG")
    outside = folder / "hanoi.geojson"
    _frame([_parcel(105.80, 21.02)], ten=["Hà Nội"]).to_file(outside, driver="GeoJSON")
    no_crs = folder / "no_crs.shp"
    with warnings.catch_warnings():  # pyogrio warns that the file will have no CRS: that is the point
        warnings.simplefilter("ignore", UserWarning)
        _frame([Point(*VN2000_POINT)], crs=None).to_file(no_crs, driver="ESRI Shapefile")
    null_geom = folder / "null_geom.geojson"
    null_geom.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"ten": "có"},
                        "geometry": {"type": "Point", "coordinates": INSIDE},
                    },
                    {"type": "Feature", "properties": {"ten": "trống"}, "geometry": None},
                ],
            }
        )
    )
    return {
        "broken": (broken, {}, "cannot read"),
        "metres_as_degrees": (metres, {}, "look like metres"),
        "degrees_as_metres": (degrees, {}, "look like degrees"),
        "outside": (outside, {}, "none of its 1 features lies in Bắc Kạn"),
        "no_crs": (no_crs, {}, "--crs"),
        "null_geometry": (null_geom, {}, "'trống'"),
        "unknown_sheet": (outside, {"sheet_id": "P99"}, "valid sheets: P1"),
        "bad_crs_option": (no_crs, {"crs": "EPSG:999999"}, "not a known coordinate reference system"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "broken",
        "metres_as_degrees",
        "degrees_as_metres",
        "outside",
        "no_crs",
        "null_geometry",
        "unknown_sheet",
        "bad_crs_option",
    ],
)
def test_bad_input_is_refused_and_leaves_the_layer_intact(engine, baseline, tmp_path, case):
    path, options, message = _write_bad_files(tmp_path)[case]
    options = {"sheet_id": "P8", **options}
    before = _still_the_baseline(engine, baseline)
    with pytest.raises(ImportError_, match=message.replace("(", r"\(").replace(".", r"\.")):
        import_any(engine, path, layer_key="baseline_parcels", replace=True, **options)
    assert _snapshot(engine, "baseline_parcels") == before


def test_existing_layer_is_not_overwritten_without_replace(engine, baseline, tmp_path):
    path = tmp_path / "again.geojson"
    _frame([_parcel(105.8, 22.1)]).to_file(path, driver="GeoJSON")
    before = _still_the_baseline(engine, baseline)
    with pytest.raises(ImportError_, match="already holds 3 features; pass --replace"):
        import_any(engine, path, sheet_id="P8", layer_key="baseline_parcels")
    assert _snapshot(engine, "baseline_parcels") == before


def test_failure_while_writing_rolls_back_everything(engine, baseline, tmp_path, monkeypatch):
    path = tmp_path / "new.geojson"
    _frame([_parcel(105.8, 22.1)] * 5).to_file(path, driver="GeoJSON")

    def crash(conn, table):  # the server dying after COPY, before the swap
        raise RuntimeError("connection lost")

    monkeypatch.setattr(importer, "finish_layer_table", crash)
    before = _still_the_baseline(engine, baseline)
    with pytest.raises(ImportError_, match="rolled back"):
        import_any(engine, path, sheet_id="P8", layer_key="baseline_parcels", replace=True)
    assert _snapshot(engine, "baseline_parcels") == before
    with engine.connect() as conn:
        leftovers = conn.execute(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'layers' AND tablename LIKE '_staging_%'")
        ).scalar_one()
    assert leftovers == 0


def test_replace_swaps_the_layer(engine, tmp_path):
    first = tmp_path / "first.geojson"
    _frame([_parcel(105.8, 22.1)] * 4, ten=[f"cũ {i}" for i in range(4)]).to_file(first, driver="GeoJSON")
    import_any(engine, first, sheet_id="P8", layer_key="swap_me")
    second = tmp_path / "second.gpkg"
    _frame([_parcel(105.9, 22.2)] * 2, ten=["mới 1", "mới 2"]).to_file(second, driver="GPKG")
    before = _data_version(engine)

    for _ in range(2):  # twice: the renamed sequence and indexes must not collide on the next swap
        import_any(engine, second, sheet_id="P2.c", layer_key="swap_me", replace=True)

    with engine.connect() as conn:
        names = conn.execute(text("SELECT name FROM layers.swap_me ORDER BY name")).scalars().all()
        sheet, count = conn.execute(
            text("SELECT sheet_id, feature_count FROM sheet_layer WHERE layer_key = 'swap_me'")
        ).one()
        tables = conn.execute(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'layers' AND tablename LIKE '%swap_me%'")
        ).scalar_one()
    assert names == ["mới 1", "mới 2"] and (sheet, count) == ("P2.c", 2)
    assert tables == 1
    assert _data_version(engine) == before + 2


def test_bow_tie_is_repaired_and_reported(engine, tmp_path):
    lon, lat = INSIDE
    bow_tie = Polygon([(lon, lat), (lon + 0.01, lat + 0.01), (lon + 0.01, lat), (lon, lat + 0.01)])
    path = tmp_path / "bowtie.geojson"
    _frame([bow_tie, _parcel(lon, lat)], ten=["nơ", "vuông"]).to_file(path, driver="GeoJSON")

    result = import_any(engine, path, sheet_id="P8", layer_key="bow_tie")

    (repaired,) = result.layers[0].repaired
    assert "fid=0" in repaired and "'nơ'" in repaired and "Self-intersection" in repaired
    with engine.connect() as conn:
        valid, area_deg = conn.execute(
            text("SELECT ST_IsValid(geom), ST_Area(geom) FROM layers.bow_tie WHERE name = 'nơ'")
        ).one()
    assert valid and area_deg == pytest.approx(0.5 * 0.01 * 0.01, rel=1e-6)


def test_features_outside_the_province_are_reported(engine, tmp_path):
    path = tmp_path / "partly.geojson"
    _frame(
        [_parcel(105.8, 22.1), _parcel(105.9, 22.2), _parcel(108.2, 16.05)],
        ten=["trong 1", "trong 2", "Đà Nẵng"],
    ).to_file(path, driver="GeoJSON")
    result = import_any(engine, path, sheet_id="P8", layer_key="partly_outside")
    layer = result.layers[0]
    assert layer.feature_count == 3 and layer.outside_envelope == 1
    assert layer.outside_examples == ["feature fid=2 (ten 'Đà Nẵng')"]


def test_cli_exits_non_zero_with_the_message(engine, tmp_path):
    from cli.main import app

    path = tmp_path / "metres.geojson"
    _frame([Point(*VN2000_POINT)]).to_file(path, driver="GeoJSON")
    result = CliRunner().invoke(app, ["import", str(path), "--sheet", "P8", "--layer", "cli_bad"])
    assert result.exit_code == 1
    assert "look like metres" in " ".join(result.output.split())

    good = CliRunner().invoke(
        app, ["import", str(path), "--sheet", "P8", "--layer", "cli_good", "--crs", "EPSG:9213"]
    )
    assert good.exit_code == 0, good.output
    assert "cli_good" in good.output and "EPSG:9213" in good.output
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM layers.cli_good")).scalar_one() == 1


def _package_layers() -> list[tuple[str, str, gpd.GeoDataFrame]]:
    x, y = VN2000_POINT
    square = Polygon([(x, y), (x + 500, y), (x + 500, y + 500), (x, y + 500)])
    return [
        (
            "TaiNguyenMoiTruong",
            "HienTrangSuDungDat_A",
            _frame([square], crs="EPSG:9213", maDoiTuong=["T06-QH01-00000001"], maLoaiDat=["RSX"]),
        ),
        (
            "TaiNguyenMoiTruong",
            "QuyHoachSuDungDat_A",
            _frame(
                [square],
                crs="EPSG:9213",
                maDoiTuong=["T06-QQ02-00000001"],
                maLoaiDat=["LUC"],
                quyHoachBatDau=["2023-11-03"],
                quyHoachKetThuc=["2030-12-31"],
            ),
        ),
        (
            "GiaoThongVanTai",
            "MangLuoiGiaoThong_L",
            _frame(
                [LineString([(x, y), (x + 2000, y + 3000)])],
                crs="EPSG:9213",
                maDoiTuong=["T06-SQ01-00000001"],
                ten=["Cao tốc Chợ Mới – Bắc Kạn"],
            ),
        ),
        (
            "XayDung",
            "HienTrangDoThi_P",
            _frame([Point(x, y)], crs="EPSG:9213", maDoiTuong=["T06-MH01-00000001"], ten=["TP Bắc Kạn"]),
        ),
        (
            "KhoaHocCongNghe",
            "DiemNghienCuu_P",
            _frame([Point(x, y)], crs="EPSG:9213", maDoiTuong=["T06-UQ01-00000001"]),
        ),
    ]


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    """A File Geodatabase in the TT 04/2023 form, zipped: themes as feature datasets, ids T06-…."""
    folder = tmp_path_factory.mktemp("gdb")
    gdb = folder / "BacKan.gdb"
    for theme, layer, frame in _package_layers():
        pyogrio.write_dataframe(
            frame, gdb, layer=layer, driver="OpenFileGDB", layer_options={"FEATURE_DATASET": theme}
        )
    shutil.make_archive(str(folder / "BacKan.gdb"), "zip", folder, "BacKan.gdb")
    return folder / "BacKan.gdb.zip"


def test_planning_package_goes_to_the_sheets_its_themes_and_names_say(engine, package):
    result = import_any(engine, package)

    assert {layer.layer_key: layer.sheet_id for layer in result.layers} == {
        "hien_trang_su_dung_dat_a": "P2.c",
        "quy_hoach_su_dung_dat_a": "P8",
        "mang_luoi_giao_thong_l": "P7.a",
        "hien_trang_do_thi_p": "P2.b",
    }
    (skipped,) = result.skipped
    assert skipped.layer == "DiemNghienCuu_P" and "no sheet is known" in skipped.reason
    with engine.connect() as conn:
        row = (
            conn.execute(
                text(
                    "SELECT feature_id, landuse_code, plan_start, plan_end, source "
                    "FROM layers.quy_hoach_su_dung_dat_a"
                )
            )
            .mappings()
            .one()
        )
        title = conn.execute(
            text("SELECT title_vi FROM sheet_layer WHERE layer_key = 'quy_hoach_su_dung_dat_a'")
        ).scalar_one()
    assert row["feature_id"] == "T06-QQ02-00000001" and row["landuse_code"] == "LUC"
    assert (str(row["plan_start"]), str(row["plan_end"])) == ("2023-11-03", "2030-12-31")
    assert row["source"] == "BacKan.gdb.zip/BacKan.gdb: QuyHoachSuDungDat_A"
    assert title == "QuyHoachSuDungDat_A"


def test_package_layer_can_be_forced_to_a_sheet(engine, package):
    result = import_any(
        engine, package, source_layer="DiemNghienCuu_P", sheet_id="P13", layer_key="research_sites"
    )
    assert [(layer.layer_key, layer.sheet_id) for layer in result.layers] == [("research_sites", "P13")]


def test_sheet_decision_reports_what_it_cannot_tell():
    assert decide_sheet("GiaoThong_L", "GiaoThongVanTai", ["T06-SH01-00000001"]) == (
        "P2.đ",
        "name contains 'giaothong', current",
    )
    sheet, why = decide_sheet("GiaoThong_L", "GiaoThongVanTai", [])
    assert sheet is None and "current state (P2.đ) or the plan (P7.a)" in why
    sheet, why = decide_sheet("HienTrangThuyLoi_L", None, ["T06-QQ05-00000001"])
    assert sheet is None and "its name says current" in why
    assert decide_sheet("ViTriDuAn_P", None, [])[0] == "P12"
    assert decide_sheet("KhuCongNghiep_A", "CongThuong", ["T06-NQ01-00000001"])[0] == "P5"
    assert decide_sheet("BenhVien_P", "YTe", ["T06-VQ01-00000001"])[0] == "P6.d"
