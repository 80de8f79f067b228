"""Hostile input through the real gateway: each a clear 4xx problem, and nothing changes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import PROBLEM, ApiFactory


def _items(api: ApiFactory) -> int:
    return len(api("network.admin").get("/items", params={"limit": 500, "include_inactive": True}).json()["data"])


@pytest.mark.parametrize(
    ("what", "body", "status"),
    [
        ("oversized", b'{"sku": "' + b"A" * (2 * 1024 * 1024) + b'"}', 413),
        ("deeply nested", b'{"sku": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", 400),  # the parser gives up: unreadable
        ("not JSON", b"\xff\xfe{", 400),
    ],
)
def test_hostile_bodies_are_refused_with_a_problem(api: ApiFactory, what: str, body: bytes, status: int) -> None:
    before = _items(api)
    response = api("network.admin").post("/items", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status, what
    assert response.headers["content-type"] == PROBLEM
    assert _items(api) == before


@pytest.mark.parametrize("limit", ["1000000000", "-1", "0", "1e3", "'; DROP TABLE items; --"])
def test_absurd_page_sizes_are_refused(api: ApiFactory, limit: str) -> None:
    response = api("bruchsal.it").get("/items", params={"limit": limit})
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/validation-failed"


HOSTILE_TEXTS = ["'; DROP TABLE lines; --", "<script>alert(1)</script>", "Robert'); DELETE FROM items;--", "${7*7}"]
WINDOW = {"opens_at": "2027-01-01T00:00:00Z", "closes_at": "2027-02-01T00:00:00Z"}
# What each kind of record is made with (a unique key from `n`), and its free-text fields.
FREE_TEXT_FIELDS: dict[str, tuple[str, Callable[[int], dict[str, Any]], tuple[str, ...]]] = {
    "/items": ("network.admin", lambda n: {"sku": f"HOSTILE-{n}", "kind": "hardware", "cpv_code": "30213100-6",
                                           "reference_price_cents": 100}, ("name", "description", "unit")),
    "/vendors": ("network.admin", lambda n: {"id": f"hostile-{n}", "country": "CH"}, ("name", "contact_name")),
    "/cost-keys": ("network.admin", lambda n: {"id": f"hostile-{n}", "method": "population"}, ("name", "description")),
    "/rounds": ("ettlingen.lead", lambda n: dict(WINDOW), ("title", "description")),
}  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
@pytest.mark.parametrize("collection", FREE_TEXT_FIELDS)
def test_every_free_text_field_keeps_sql_and_script_strings_as_text(
    api: ApiFactory, collection: str, text: str
) -> None:
    user, required, fields = FREE_TEXT_FIELDS[collection]
    client = api(user)
    body = required(time.time_ns() % 10**9) | dict.fromkeys(fields, text)
    created = client.post(collection, json=body)
    assert created.status_code == 201, created.text
    stored = client.get(f"{collection}/{created.json()['id']}").json()
    assert {field: stored[field] for field in fields} == dict.fromkeys(fields, text)


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_sql_and_script_strings_are_stored_as_text(api: ApiFactory, text: str) -> None:
    """Parameters, never SQL built from text: the string comes back as it went in, and the tables stand."""
    city_it = api("bruchsal.it")
    open_round = next(r for r in city_it.get("/rounds", params={"status": "open"}).json()["data"])
    item = city_it.get("/items", params={"limit": 1}).json()["data"][0]
    line = city_it.post(f"/rounds/{open_round['id']}/lines",
                        json={"item_id": item["id"], "quantity": 1, "justification": text})  # fmt: skip
    assert line.status_code == 201
    assert line.json()["justification"] == text
    assert city_it.get(f"/rounds/{open_round['id']}/lines/{line.json()['id']}").json()["justification"] == text
    withdrawn = city_it.post(f"/rounds/{open_round['id']}/lines/{line.json()['id']}/withdraw")
    assert withdrawn.status_code == 200


@pytest.mark.parametrize("name", ["../../../etc/passwd.csv", "..\\..\\boot.ini.csv", "/etc/shadow.csv", "a\x00b.csv"])
def test_file_names_are_never_paths(api: ApiFactory, name: str) -> None:
    """An upload's name is only a label: a traversal in it reaches nothing and is not an error of ours."""
    city_it = api("bruchsal.it")
    open_round = next(r for r in city_it.get("/rounds", params={"status": "open"}).json()["data"])
    content = b"Artikelnummer;Menge\r\nGIBT-ES-NICHT;1\r\n"
    response = city_it.post(f"/rounds/{open_round['id']}/imports", files={"file": (name, content, "text/csv")},
                            data={"mode": "add"})  # fmt: skip
    assert response.status_code == 422  # the row's unknown SKU, not the name
    assert response.json()["type"] == "/problems/import-rejected"
