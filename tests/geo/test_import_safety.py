"""Imports that never stall readers, and archives that are refused before GDAL opens them (zip bombs)."""

import io
import struct
import threading
import time
import zipfile

import geopandas as gpd
import psycopg
import pytest
from shapely.geometry import box
from sqlalchemy import text

from geo.analysis.screening import LOCK_KEY as SCREENING_LOCK_KEY
from geo.analysis.screening import screen_all
from geo.ingest.importer import ImportError_, import_any
from geo.store.versions import Area, bump


def _layer_file(path, names):
    frame = gpd.GeoDataFrame({"ten": names}, geometry=[box(105.8, 22.1, 105.81, 22.11)] * len(names))
    frame.set_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    return path


def _zip_declaring(path, member: str, declared_size: int):
    """A tiny zip whose central directory declares ``member`` to expand to ``declared_size`` bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, b"{}")
    data = bytearray(buffer.getvalue())
    entry = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, entry + 24, declared_size)  # the uncompressed size field
    path.write_bytes(bytes(data))
    return path


def test_an_archive_declaring_2_gib_is_refused_before_it_is_opened(engine, tmp_path):
    bomb = _zip_declaring(tmp_path / "bomb.zip", "parcels.geojson", 2**31)
    assert tmp_path.joinpath("bomb.zip").stat().st_size < 1000
    with pytest.raises(ImportError_, match=r"expands to 2,048 MB; the limit is 1,024 MB"):
        import_any(engine, bomb, sheet_id="P8", layer_key="bomb")


def test_the_expanded_size_limit_is_a_setting(engine, tmp_path, monkeypatch):
    path = tmp_path / "zeros.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.geojson", b" " * (3 * 1024 * 1024))
    monkeypatch.setenv("PLANVIEW_IMPORT_MAX_EXPANDED_MB", "2")
    with pytest.raises(
        ImportError_, match=r"expands to 3 MB; the limit is 2 MB \(PLANVIEW_IMPORT_MAX_EXPANDED_MB\)"
    ):
        import_any(engine, path, sheet_id="P8", layer_key="zeros")


def test_too_many_members_are_refused(engine, tmp_path, monkeypatch):
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(6):
            archive.writestr(f"part{i}.geojson", b"{}")
    monkeypatch.setenv("PLANVIEW_IMPORT_MAX_MEMBERS", "5")
    with pytest.raises(ImportError_, match=r"holds 6 files; the limit is 5 \(PLANVIEW_IMPORT_MAX_MEMBERS\)"):
        import_any(engine, path, sheet_id="P8", layer_key="many")


def _zip_lying(path, member: str, content: bytes, declared_size: int):
    """A zip whose local header and central directory both say ``member`` expands to ``declared_size``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, content)
    data = bytearray(buffer.getvalue())
    struct.pack_into("<I", data, data.find(b"PK\x03\x04") + 22, declared_size)  # local header
    struct.pack_into("<I", data, data.find(b"PK\x01\x02") + 24, declared_size)  # central directory
    path.write_bytes(bytes(data))
    return path


def _padded_layer(size: int) -> bytes:
    """A valid one-feature GeoJSON padded with blanks to ``size`` bytes."""
    feature = (
        b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"ten":"a"},'
        b'"geometry":{"type":"Point","coordinates":[105.8,22.1]}}]}'
    )
    return feature + b" " * (size - len(feature))


def test_an_archive_whose_headers_lie_about_its_size_is_refused(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("PLANVIEW_IMPORT_MAX_EXPANDED_MB", "2")
    path = _zip_lying(tmp_path / "liar.zip", "parcels.geojson", _padded_layer(3 * 1024 * 1024), 1000)
    with zipfile.ZipFile(path) as archive:
        assert archive.infolist()[0].file_size == 1000  # what the headers say
    with pytest.raises(
        ImportError_, match=r"member 'parcels.geojson' does not match what the archive declares"
    ):
        import_any(engine, path, sheet_id="P8", layer_key="liar")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('layers.liar')")).scalar() is None


def test_the_real_expanded_size_is_counted_and_the_ratio_bounded(engine, tmp_path, monkeypatch):
    path = tmp_path / "blank.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("parcels.geojson", _padded_layer(3 * 1024 * 1024))
    monkeypatch.setenv("PLANVIEW_IMPORT_MAX_RATIO", "50")
    with pytest.raises(
        ImportError_, match=r"member 'parcels.geojson' expands more than 50 times its compressed size"
    ):
        import_any(engine, path, sheet_id="P8", layer_key="blank")
    monkeypatch.setenv("PLANVIEW_IMPORT_MAX_RATIO", "5000")  # the same archive within the limits imports
    result = import_any(engine, path, sheet_id="P8", layer_key="blank")
    assert result.feature_count == 1


@pytest.mark.parametrize("member", ["../outside.geojson", "/etc/parcels.geojson", "a/../../b.geojson"])
def test_member_paths_outside_the_archive_are_refused(engine, tmp_path, member):
    path = tmp_path / "escape.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, b"{}")
    with pytest.raises(ImportError_, match="points outside the archive"):
        import_any(engine, path, sheet_id="P8", layer_key="escape")


def _waiting_for_lock(conn, table: str) -> bool:
    return conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND mode = 'AccessExclusiveLock' "
        "AND relation = to_regclass(%s))",
        (table,),
    ).fetchone()[0]


def test_a_replace_never_queues_readers_behind_a_long_read(engine, database_url, tmp_path):
    import_any(
        engine, _layer_file(tmp_path / "old.geojson", ["cũ 1", "cũ 2"]), sheet_id="P8", layer_key="busy"
    )
    new = _layer_file(tmp_path / "new.geojson", ["mới 1", "mới 2", "mới 3"])
    outcome = {}

    def replace():
        try:
            outcome["result"] = import_any(engine, new, sheet_id="P8", layer_key="busy", replace=True)
        except Exception as exc:  # reported below
            outcome["error"] = exc

    with (
        psycopg.connect(database_url) as long_reader,
        psycopg.connect(database_url, autocommit=True) as probe,
    ):
        long_reader.execute("SELECT count(*) FROM layers.busy").fetchone()  # holds its lock until commit
        importer = threading.Thread(target=replace)
        importer.start()
        deadline = time.monotonic() + 60
        while not _waiting_for_lock(probe, "layers.busy"):  # the swap asks for the table's lock
            assert importer.is_alive() and time.monotonic() < deadline, outcome
        # readers arriving while the swap wants the lock are not queued behind it until the long
        # read ends: each answers well inside its statement timeout
        probe.execute("SET statement_timeout = '5s'")
        for _ in range(5):
            assert probe.execute("SELECT count(*) FROM layers.busy").fetchone()[0] == 2
        assert importer.is_alive()  # still waiting for the long read, without holding anyone up
        long_reader.commit()
        importer.join(timeout=60)
    assert "error" not in outcome, outcome
    with engine.connect() as conn:
        names = conn.execute(text("SELECT name FROM layers.busy ORDER BY name")).scalars().all()
    assert names == ["mới 1", "mới 2", "mới 3"]


def _landuse_file(path, count: int):
    """``count`` special-use forest parcels (RDD) of sheet P8: rule LU-RDD reads such a layer."""
    frame = gpd.GeoDataFrame(
        {"ten": [f"rừng {i}" for i in range(count)], "maLoaiDat": ["RDD"] * count},
        geometry=[box(105.80 + 0.01 * i, 22.10, 105.805 + 0.01 * i, 22.105) for i in range(count)],
    )
    frame.set_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    return path


def _waiting_for_screening(conn) -> bool:
    return conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND locktype = 'advisory' AND objid = %s)",
        (SCREENING_LOCK_KEY,),
    ).fetchone()[0]


def test_readers_of_a_layer_a_rule_reads_do_not_wait_while_its_import_screens(engine, database_url, tmp_path):
    import_any(engine, _landuse_file(tmp_path / "old.geojson", 2), sheet_id="P8", layer_key="forest_rdd")
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT feature_count FROM screening_source_state WHERE source_key = 'forest_rdd'")
            ).scalar()
            == 2
        )  # rule LU-RDD reads this layer
    new = _landuse_file(tmp_path / "new.geojson", 3)
    outcome = {}

    def replace():
        try:
            outcome["result"] = import_any(engine, new, sheet_id="P8", layer_key="forest_rdd", replace=True)
        except Exception as exc:  # reported below
            outcome["error"] = exc

    with (
        psycopg.connect(database_url, autocommit=True) as screening_holder,
        psycopg.connect(database_url, autocommit=True) as probe,
    ):
        # holding screening's own lock stops the import inside its screening step, for as long as we like
        screening_holder.execute("SELECT pg_advisory_lock(%s)", (SCREENING_LOCK_KEY,))
        importer = threading.Thread(target=replace)
        importer.start()
        deadline = time.monotonic() + 120
        while not _waiting_for_screening(probe):
            assert importer.is_alive() and time.monotonic() < deadline, outcome
        # the import is screening: readers of the layer it replaces get the old rows at once
        probe.execute("SET statement_timeout = '5s'")
        assert probe.execute("SELECT count(*) FROM layers.forest_rdd").fetchone()[0] == 2
        # and other writes go on: the import bumps the data version (one row, locked to its commit)
        # only after screening; bumped before, a status change waited here for the whole screening
        with engine.begin() as writer:
            writer.execute(text("SET LOCAL lock_timeout = '5s'"))
            during = bump(writer, Area.projects, "a status change while an import screens")
        assert importer.is_alive()
        screening_holder.execute("SELECT pg_advisory_unlock(%s)", (SCREENING_LOCK_KEY,))
        importer.join(timeout=120)
    assert "error" not in outcome, outcome
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM layers.forest_rdd")).scalar() == 3
        # the pieces were built from the staging table, and hold for the table it became
        assert (
            conn.execute(
                text("SELECT feature_count FROM screening_source_state WHERE source_key = 'forest_rdd'")
            ).scalar()
            == 3
        )
    # the stored screening names the version the import committed, which came after that write
    imported = outcome["result"].data_version
    assert imported > during
    with engine.connect() as conn:
        assert conn.execute(text("SELECT data_version FROM screening_state")).scalar() == imported
    assert screen_all(engine)["recomputed"] is False
