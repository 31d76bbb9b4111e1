"""The site finder: filters, ranking that explains itself, unknown values kept unknown, fact sheets."""

import pytest
from sqlalchemy import text

from geo.analysis import rules
from geo.store.versions import Area, bump


@pytest.fixture(scope="module")
def occupancy(engine):
    """Publish available areas for three zones only; every other zone stays unknown (NULL)."""
    with engine.begin() as conn:
        rules.load_rules(conn)
        conn.execute(text("UPDATE zone SET area_available_ha = NULL"))
        conn.execute(
            text(
                "UPDATE zone SET area_available_ha = v.ha FROM (VALUES ('KCN-01', 20.0), ('KCN-03', 5.0), "
                "('KCN-02', 0.0)) AS v(id, ha) WHERE zone_id = v.id"
            )
        )
        bump(conn, Area.zones, "test: available areas")
        located = conn.execute(text("SELECT count(*) FROM zone WHERE geom IS NOT NULL")).scalar_one()
    return located


def by_id(items):
    return {s["zone_id"]: s for s in items}


def test_all_sites_unknowns_stay_unknown(client, occupancy):
    data = client.get("/api/sites").json()
    sites = by_id(data["sites"])
    assert {"KCN-01", "KCN-03"} <= set(sites)
    assert data["excluded"] == []
    assert sites["KCN-01"]["area_available_ha"] == 20
    assert sites["KCN-02"]["area_available_ha"] == 0  # a published zero is a zero
    unknown = [s for s in data["sites"] if s["area_available_ha"] is None]
    assert unknown, "some zones have no published occupancy"
    for s in unknown:
        assert s["available"] == "unknown"
        assert any("unknown" in w for w in s["why"])
    ranks = [s["rank"] for s in data["sites"]]
    assert ranks == list(range(1, len(ranks) + 1))
    scores = [s["score"] for s in data["sites"]]
    assert scores == sorted(scores, reverse=True)


def test_min_available_separates_unknown_from_too_small(client, occupancy):
    data = client.get("/api/sites", params={"min_available_ha": 10}).json()
    assert [s["zone_id"] for s in data["sites"]] == ["KCN-01"]
    reasons = {e["zone_id"]: [r["code"] for r in e["reasons"]] for e in data["excluded"]}
    assert reasons["KCN-03"] == ["too_small"]
    assert reasons["KCN-02"] == ["too_small"]
    unknown = [z for z, codes in reasons.items() if codes == ["available_unknown"]]
    assert len(unknown) == data["excluded_counts"]["available_unknown"] > 0
    assert data["excluded_counts"]["too_small"] == 2
    (kcn01,) = data["sites"]
    assert "20 ha available" in kcn01["why"]


def test_kind_and_district_filters(client, occupancy):
    tourism = client.get("/api/sites", params={"kind": "tourism"}).json()["sites"]
    assert tourism and {s["kind"] for s in tourism} == {"tourism"}
    cho_moi = client.get("/api/sites", params={"district": "Cho Moi"}).json()
    assert cho_moi["filters"]["district"] == "065"
    assert cho_moi["sites"] and all(s["district_code"] == "065" for s in cho_moi["sites"])
    bad = client.get("/api/sites", params={"kind": "casino"})
    assert bad.status_code == 400 and "kind" in bad.json()["description"]
    assert client.get("/api/sites", params={"min_available_ha": -1}).status_code == 400


def test_distance_filters_say_why(client, occupancy):
    everything = by_id(client.get("/api/sites").json()["sites"])
    located = {z: s for z, s in everything.items() if s["distance_city_km"] is not None}
    assert len(located) == occupancy
    for s in located.values():
        assert s["distance_national_road_km"] is not None
        assert any("km from Bắc Kạn city" in w for w in s["why"])
    limit = sorted(s["distance_city_km"] for s in located.values())[len(located) // 2]
    near = client.get("/api/sites", params={"max_city_km": limit}).json()
    assert {s["zone_id"] for s in near["sites"]} == {
        z for z, s in located.items() if s["distance_city_km"] <= limit
    }
    codes = {r["code"] for e in near["excluded"] for r in e["reasons"]}
    assert codes <= {"too_far", "distance_unknown"}
    if len(located) < len(everything):
        assert "distance_unknown" in codes  # a zone with no place is not "0 km away"


def test_site_fact_sheet(client, occupancy):
    data = client.get("/api/sites/KCN-01").json()
    assert data["area_planned_ha"] == 73.5
    page = client.get("/sites/KCN-01")
    assert page.status_code == 200
    html = page.text
    assert "KCN Thanh Bình" in html and "@page { size: A4" in html and "<svg" in html
    assert '<td data-field="available">20.0 ha' in html or '<td data-field="available">20 ha' in html
    assert 'data-field="occupied"><span class="pv-muted" data-unknown="1">' in html
    assert client.get("/sites/NOPE").status_code == 404
