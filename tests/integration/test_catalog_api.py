"""The catalog through the gateway, as its users see it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PROBLEM, ApiFactory

DEMO_SKUS = {
    "LAPTOP-14", "WEBCAM-FHD", "HEADSET-USB", "DOCK-USBC", "LORAWAN-SENSOR", "VPN-SEAT", "VC-JITSI-SELFHOSTED",
    "VC-EU-CLOUD", "VC-GLOBALMEET", "OFFICE-SUITE",
}  # fmt: skip


def _new_item(sku: str, **changes: Any) -> dict[str, Any]:
    return {"sku": sku, "name": f"Test {sku}", "kind": "hardware", "cpv_code": "30213000-5", "unit": "Stück",
            "reference_price_cents": 99_900, **changes}  # fmt: skip


def _all_pages(api: ApiFactory, path: str, limit: int, **params: Any) -> tuple[list[dict[str, Any]], int]:
    client = api("bruchsal.it")
    rows: list[dict[str, Any]] = []
    cursor, pages = None, 0
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        body = client.get(path, params=query).json()
        rows += body["data"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return rows, pages


def test_a_city_it_user_lists_the_demo_catalog(api: ApiFactory) -> None:
    body = api("bruchsal.it").get("/items").json()
    assert {item["sku"] for item in body["data"]} >= DEMO_SKUS
    laptop = next(i for i in body["data"] if i["sku"] == "LAPTOP-14")
    assert laptop["reference_price_cents"] == 89_900
    assert laptop["cpv_code"] == "30213100-6"
    assert laptop["hosting_region"] is None
    third_country = next(i for i in body["data"] if i["sku"] == "VC-GLOBALMEET")
    assert (third_country["hosting_region"], third_country["license_model"]) == ("third_country", "per_user")


def test_city_it_may_not_create_an_item_and_nothing_is_created(api: ApiFactory) -> None:
    response = api("bruchsal.it").post("/items", json=_new_item("FORBIDDEN-1"))
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "/problems/forbidden"
    listed = api("network.admin").get("/items", params={"q": "FORBIDDEN", "include_inactive": True}).json()
    assert listed["data"] == []


def test_a_network_admin_creates_an_item(api: ApiFactory) -> None:
    response = api("network.admin").post("/items", json=_new_item("DESKTOP-1"))
    assert response.status_code == 201
    item = response.json()
    assert response.headers["location"] == f"/api/v1/items/{item['id']}"
    assert response.headers["etag"] == '"1"'
    assert api("bruchsal.it").get(f"/items/{item['id']}").json()["sku"] == "DESKTOP-1"


def test_a_bad_cpv_code_is_a_422_problem_naming_the_field(api: ApiFactory) -> None:
    response = api("network.admin").post("/items", json=_new_item("BAD-CPV", cpv_code="30213000-4"))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "/problems/validation-failed"
    assert [e["field"] for e in problem["errors"]] == ["cpv_code"]
    assert "30213000-5" in problem["errors"][0]["message"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reference_price_cents": 12.5}, "reference_price_cents"),
        ({"reference_price_cents": "1299"}, "reference_price_cents"),
        ({"kind": "laptop"}, "kind"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_wrong_types_and_unknown_fields_are_refused_not_guessed(
    api: ApiFactory, changes: dict[str, Any], field: str
) -> None:
    response = api("network.admin").post("/items", json=_new_item("TYPE-1", **changes))
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_updates_need_the_version_and_a_stale_one_is_refused(api: ApiFactory) -> None:
    admin = api("network.admin")
    item = admin.post("/items", json=_new_item("PATCH-1")).json()
    path = f"/items/{item['id']}"

    missing = admin.patch(path, json={"name": "No precondition"})
    assert (missing.status_code, missing.json()["type"]) == (428, "/problems/precondition-required")

    first = admin.patch(path, json={"reference_price_cents": 95_000}, headers={"If-Match": '"1"'})
    assert (first.status_code, first.headers["etag"], first.json()["version"]) == (200, '"2"', 2)

    stale_if_match = admin.patch(path, json={"name": "Lost update"}, headers={"If-Match": '"1"'})
    assert stale_if_match.status_code == 412
    assert stale_if_match.json()["current_version"] == 2

    stale_version = admin.patch(path, json={"name": "Lost update", "version": 1})
    assert stale_version.status_code == 409
    assert stale_version.json()["type"] == "/problems/version-conflict"

    current = admin.get(path).json()
    assert (current["name"], current["reference_price_cents"], current["version"]) == ("Test PATCH-1", 95_000, 2)


def test_pagination_walks_every_item_exactly_once(api: ApiFactory) -> None:
    everything = api("bruchsal.it").get("/items", params={"limit": 500}).json()
    assert everything["next_cursor"] is None
    total = len(everything["data"])
    for limit in (1, 3, total - 1, total):
        rows, pages = _all_pages(api, "/items", limit)
        assert [r["sku"] for r in rows] == [r["sku"] for r in everything["data"]]
        assert pages == -(-total // limit)  # a full last page has no next cursor


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 501}, "limit"), ({"cursor": "garbage"}, "cursor"),
     ({"cpv_prefix": "30-21"}, "cpv_prefix")],
)  # fmt: skip
def test_bad_paging_parameters_are_422(api: ApiFactory, params: dict[str, Any], field: str) -> None:
    response = api("bruchsal.it").get("/items", params=params)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_filters(api: ApiFactory) -> None:
    client = api("bruchsal.it")

    def skus(**params: Any) -> set[str]:
        return {i["sku"] for i in client.get("/items", params=params).json()["data"]} & DEMO_SKUS

    assert skus(kind="license") == {"VPN-SEAT", "VC-JITSI-SELFHOSTED", "VC-EU-CLOUD", "VC-GLOBALMEET", "OFFICE-SUITE"}
    assert skus(hosting_region="third_country") == {"VC-GLOBALMEET"}
    assert skus(cpv_prefix="48515") == {"VC-JITSI-SELFHOSTED", "VC-EU-CLOUD", "VC-GLOBALMEET"}
    assert skus(q="videokonferenz", hosting_region="DE") == {"VC-JITSI-SELFHOSTED"}


def test_an_unknown_item_is_a_404_problem(api: ApiFactory) -> None:
    response = api("bruchsal.it").get("/items/00000000-0000-0000-0000-000000000000")
    assert (response.status_code, response.json()["type"]) == (404, "/problems/not-found")


def test_deactivation_hides_an_item_from_lists_but_keeps_it(api: ApiFactory) -> None:
    admin = api("network.admin")
    item = admin.post("/items", json=_new_item("RETIRED-1")).json()
    assert admin.post(f"/items/{item['id']}/deactivate").json()["active"] is False
    assert api("bruchsal.it").get("/items", params={"q": "RETIRED"}).json()["data"] == []
    listed = admin.get("/items", params={"q": "RETIRED", "include_inactive": True}).json()["data"]
    assert [i["active"] for i in listed] == [False]
    assert api("bruchsal.it").get(f"/items/{item['id']}").json()["active"] is False
    assert api("bruchsal.it").post(f"/items/{item['id']}/activate").status_code == 403
    assert admin.post(f"/items/{item['id']}/activate", headers={"If-Match": '"1"'}).status_code == 412
    assert admin.post(f"/items/{item['id']}/activate", headers={"If-Match": '"2"'}).json()["active"] is True


def test_cities_vendors_and_cost_keys_of_the_demo_network(api: ApiFactory) -> None:
    client = api("rastatt.finance")
    cities = {c["id"]: c for c in client.get("/cities").json()["data"]}
    assert len(cities) == 9
    assert (cities["buehl"]["name"], cities["buehl"]["ags"]) == ("Bühl", "08216007")
    assert {v["id"] for v in client.get("/vendors").json()["data"]} == {
        "rheintal",
        "schwarzwald",
        "globalmeet",
        "kraichgau",
    }
    pilot = client.get("/cost-keys/lorawan-pilot").json()
    assert sum(s["basis_points"] for s in pilot["shares"]) == 10_000


def test_a_citys_billing_units_name_where_it_receives_e_invoices(api: ApiFactory) -> None:
    """Each demo city receives invoices at its administration's Leitweg-ID; a wrong check digit is a 422 naming
    the unit's field, in the reader's language, and changes nothing."""
    admin = api("network.admin")
    bruchsal = admin.get("/cities/bruchsal").json()
    assert bruchsal["billing_units"] == [{"leitweg_id": "08215009-RECHNUNG-64", "name": "Stadtverwaltung Bruchsal"}]
    units = [*bruchsal["billing_units"], {"leitweg_id": "08215009-SCHULEN-11", "name": "Schulen"}]
    refused = admin.patch("/cities/bruchsal", json={"billing_units": units, "version": bruchsal["version"]},
                          headers={"Accept-Language": "de-DE"})  # fmt: skip
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
    [error] = refused.json()["errors"]
    assert error["field"] == "billing_units[1].leitweg_id" and "die Prüfziffern lauten" in error["message"]
    assert admin.get("/cities/bruchsal").json()["version"] == bruchsal["version"]


def test_a_fixed_cost_key_not_summing_to_100_percent_is_422(api: ApiFactory) -> None:
    response = api("network.admin").post(
        "/cost-keys",
        json={"id": "broken-key", "name": "Broken", "method": "fixed",
              "shares": [{"city_id": "rastatt", "basis_points": 5000}, {"city_id": "buehl", "basis_points": 4000}]},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "shares",
            "message": "the shares sum to 90.00 %; they must sum to exactly 100.00 % (10000 basis points)",
        }
    ]


def test_splitting_a_shared_cost_by_population_adds_up(api: ApiFactory) -> None:
    split = api("rastatt.finance").post("/cost-keys/population/split", json={"amount_cents": 1_000_000_01}).json()
    parts = {p["city_id"]: p["amount_cents"] for p in split["parts"]}
    assert len(parts) == 9
    assert sum(parts.values()) == 1_000_000_01
    assert parts["baden-baden"] > parts["rheinstetten"]


def test_unknown_paths_and_methods_are_problems_too(api: ApiFactory) -> None:
    client = api("bruchsal.it")
    missing = client.get("/no-such-thing")
    assert (missing.status_code, missing.headers["content-type"]) == (404, PROBLEM)
    wrong_method = client.delete("/items")
    assert (wrong_method.status_code, wrong_method.json()["type"]) == (405, "/problems/method-not-allowed")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/cities", {"id": "big", "name": "Big", "ags": "08000001", "population": 10**20}, "population"),
        ("/items", _new_item("HUGE-1", reference_price_cents=10**13), "reference_price_cents"),
        ("/cost-keys/population/split", {"amount_cents": 100, "usage": {"rastatt": 10**20}}, "usage.rastatt"),
        ("/cost-keys/population/split", {"amount_cents": 100, "city_ids": ["x"] * 501}, "city_ids"),
    ],
)
def test_numbers_and_lists_beyond_their_bounds_are_422_not_500(
    api: ApiFactory, path: str, body: dict[str, Any], field: str
) -> None:
    response = api("network.admin").post(path, json=body)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("if_match", "status"),
    [('"99999999999999999999"', 422), ('"²"', 422), ("3", 422), ('W/"1"', 412), ("*", 428)],
)
def test_if_match_must_be_one_of_our_etags(api: ApiFactory, if_match: str, status: int) -> None:
    admin = api("network.admin")
    item = admin.post("/items", json=_new_item(f"ETAG-{status}-{len(if_match)}")).json()
    header = if_match.encode("latin-1")  # as raw clients send it; httpx encodes str as ASCII only
    response = admin.patch(f"/items/{item['id']}", json={"name": "x"}, headers={"If-Match": header})
    assert response.status_code == status
    assert admin.get(f"/items/{item['id']}").json()["version"] == 1


def test_null_clears_only_fields_that_may_be_empty(api: ApiFactory) -> None:
    admin = api("network.admin")
    city = admin.post("/cities", json={"id": "nulltown", "name": "Nulltown", "ags": "08000002", "population": 1234,
                                       "joined_on": "2024-01-01"}).json()  # fmt: skip
    refused = admin.patch("/cities/nulltown", json={"population": None}, headers={"If-Match": '"1"'})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["population"]
    cleared = admin.patch("/cities/nulltown", json={"joined_on": None}, headers={"If-Match": '"1"'}).json()
    assert (cleared["joined_on"], cleared["population"], city["population"]) == (None, 1234, 1234)


def test_a_body_that_is_not_json_is_422_naming_the_body(api: ApiFactory) -> None:
    response = api("network.admin").post("/items", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body"]


def test_a_round_far_in_the_future_is_422(api: ApiFactory) -> None:
    response = api("ettlingen.lead").post(
        "/rounds", json={"title": "Far", "opens_at": "2027-01-01T00:00:00Z", "closes_at": "9999-12-31T23:00:00-02:00"}
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["closes_at"]


def test_vendors_read_no_cost_key_and_no_split(api: ApiFactory) -> None:
    """How the cities share their costs (fixed shares per city) is not a vendor's business."""
    vendor, finance = api("vendor.rheintal"), api("rastatt.finance")
    key = finance.get("/cost-keys").json()["data"][0]["id"]
    for answer in (vendor.get("/cost-keys"), vendor.get(f"/cost-keys/{key}"),
                   vendor.post(f"/cost-keys/{key}/split", json={"amount_cents": 900})):  # fmt: skip
        assert answer.status_code == 403, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
    assert finance.get(f"/cost-keys/{key}").status_code == 200
