"""Every city, vendor or item id that enters a write names an active member, vendor or item, and a party
where the write concerns a contract or tender; nothing else is ever posted or stored.

The cases are generated from the contracts: every write operation of the committed OpenAPI document
and every write RPC of the proto descriptors (methods not marked NO_SIDE_EFFECTS) with a field named
`city_id`, `vendor_id`, `item_id` (or their plurals and prefixed forms) must have a case here, and a
case must name such a field. Hypothesis chooses the bad id of each example:

- an id that names nothing (random, in the id's own form),
- another spelling of a real one (upper-case letters: ids are compared exactly),
- a deactivated city, vendor or item,
- a real, active one that is no party here (a city without a quota in the contract, an item that is
  not in the lot, the round or its scope, another city than the caller's own).

Each example must be refused (4xx / a gRPC refusal) with every service database unchanged, row for row.
A few fields are taken from the token or are output only (the owner of a round, the vendor of a bid):
there, the id may be sent, but it is stored nowhere.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import httpx
import pytest
from civicpool.catalog.v1 import catalog_pb2 as catalog
from civicpool.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from civicpool.contracts.v1 import contracts_pb2 as contracts
from civicpool.contracts.v1.contracts_pb2_grpc import ContractsServiceStub
from civicpool.demand.v1 import demand_pb2 as demand
from civicpool.demand.v1.demand_pb2_grpc import DemandServiceStub
from civicpool.tenders.v1 import tenders_pb2 as tenders
from civicpool.tenders.v1.tenders_pb2_grpc import TendersServiceStub
from civicpool_cli.stack import Stack
from civicpool_common import service_identity
from civicpool_common.references import Kind
from civicpool_common.timestamps import to_timestamp
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.descriptor_pb2 import MethodOptions
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ApiFactory
from tests.support.openapi import committed_openapi
from tests.support.tenders import awarded
from tests.support.tokens import TokenSource, service_token

API = "/api/v1"
ID_FIELD = re.compile(r"(^|_)(city|vendor|item)_ids?$")
KEYED_BY_CITY = {"usage"}  # maps whose keys are city ids
DEADLINE = 10.0
WINDOW = {"opens_at": "2026-01-01T00:00:00Z", "closes_at": "2030-01-01T00:00:00Z"}
EXAMPLES, IGNORED_EXAMPLES = 6, 3


# -- the write operations that take ids, from the contracts --------------------------------------


def _rest_id_fields() -> set[tuple[str, str]]:
    """(operation, field path) for every write of the OpenAPI document with an id field in body or path."""
    spec = committed_openapi()
    schemas = spec["components"]["schemas"]

    def resolved(schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def walk(schema: dict[str, Any], path: str, found: set[str]) -> None:
        schema = resolved(schema)
        for alternative in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
            walk(alternative, path, found)
        if schema.get("type") == "array":
            walk(schema["items"], f"{path}[]", found)
        for name, sub in (schema.get("properties") or {}).items():
            here = f"{path}.{name}" if path else name
            if ID_FIELD.search(name):
                found.add(here)
            if name in KEYED_BY_CITY:
                found.add(f"{here}{{}}")
            walk(sub, here, found)

    found = set()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if method not in ("post", "put", "patch", "delete"):
                continue
            fields: set[str] = {
                f"{{{p['name']}}}" for p in operation.get("parameters", []) if ID_FIELD.search(p["name"])
            }
            for content in operation.get("requestBody", {}).get("content", {}).values():
                walk(content["schema"], "", fields)
            found |= {(f"{method.upper()} {path.removeprefix(API)}", name) for name in fields}
    return found


def _grpc_id_fields() -> set[tuple[str, str]]:
    """(Service/Method, field path) for every write RPC whose request has an id field, however deep."""

    def walk(message: Descriptor, path: str, found: set[str], depth: int = 0) -> None:
        for item in message.fields:
            here = f"{path}.{item.name}" if path else item.name
            repeated = "[]" if item.is_repeated else ""
            if item.message_type is not None and item.message_type.GetOptions().map_entry:
                if item.name in KEYED_BY_CITY:
                    found.add(f"{here}{{}}")
                continue
            if ID_FIELD.search(item.name) and item.type == FieldDescriptor.TYPE_STRING:
                found.add(here + repeated)
            if item.message_type is not None and not item.message_type.full_name.startswith("google.") and depth < 4:
                walk(item.message_type, here + repeated, found, depth + 1)

    found = set()
    for module in (catalog, demand, tenders, contracts):
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                if method.GetOptions().idempotency_level == MethodOptions.NO_SIDE_EFFECTS:
                    continue
                fields: set[str] = set()
                walk(method.input_type, "", fields)
                found |= {(f"{service.name}/{method.name}", name) for name in fields}
    return found


# -- the world the cases act in ------------------------------------------------------------------


@dataclass
class World:
    """Real resources to aim at, the ids of each kind, and the service databases to compare."""

    stack: Stack
    api: ApiFactory
    tokens: TokenSource
    channels: dict[str, grpc.Channel]
    service_tokens: dict[str, str]
    known: dict[Kind, set[str]]  # every id of each kind, active or not
    active: dict[Kind, list[str]]
    inactive: dict[Kind, str]
    ids: dict[str, Any] = field(default_factory=dict)  # the resources the cases use

    def databases(self) -> dict[str, dict[str, int]]:
        """Rows per table of each service's database: what a refused write must leave as it was. The
        notifications service's is left out: relays fill it from the other services' outboxes whenever they
        run (an award of an earlier test may arrive now), and an outbox row a refused write left would show
        in its own service's database, which is compared."""
        counts = {}
        for service in service_identity.SERVICES:
            if service == "notifications":
                continue
            with sqlite3.connect(f"file:{self.stack.data_dir / f'{service}.db'}?mode=ro", uri=True) as db:
                tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
                counts[service] = {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608
        return counts

    def stored(self, value: str) -> list[str]:
        """Where demand, tenders or contracts store `value` as a cell or as a string in a JSON list: table.column."""
        found = []
        for service in ("demand", "tenders", "contracts"):
            with sqlite3.connect(f"file:{self.stack.data_dir / f'{service}.db'}?mode=ro", uri=True) as db:
                for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
                    columns = [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]
                    for column in columns:
                        hits = db.execute(
                            f'SELECT count(*) FROM "{table}" WHERE "{column}" = ? OR instr("{column}", ?) > 0',  # noqa: S608
                            (value, json.dumps(value)),
                        ).fetchone()[0]
                        if hits:
                            found.append(f"{service}.{table}.{column}")
        return found

    def rest(self, user: str) -> httpx.Client:
        return self.api(user)

    def round_version(self) -> int:
        return int(_data(self.rest("ettlingen.lead").get(f"/rounds/{self.ids['draft_round']}"))["version"])

    def tender_version(self) -> int:
        return int(_data(self.rest("ettlingen.lead").get(f"/tenders/{self.ids['draft_tender']}"))["version"])

    def line_version(self) -> int:
        line = self.rest("bruchsal.it").get(f"/rounds/{self.ids['open_round']}/lines/{self.ids['line']}")
        return int(_data(line)["version"])

    def bid_version(self) -> int:
        bids = _data(self.rest("vendor.rheintal").get(f"/tenders/{self.ids['tender']}/bids"))["data"]
        return int(next(b for b in bids if b["id"] == self.ids["bid"])["version"])

    def call(self, service: str, method: str, request: Any, user: str, *, as_service: str = "") -> grpc.StatusCode:
        stub = {"catalog": CatalogServiceStub, "demand": DemandServiceStub, "tenders": TendersServiceStub,
                "contracts": ContractsServiceStub}[service]  # fmt: skip
        metadata = [("authorization", f"Bearer {self.tokens(user)}")]
        if as_service:
            metadata.append((service_identity.SERVICE_TOKEN_METADATA, f"Bearer {self.service_tokens[as_service]}"))
        try:
            getattr(stub(self.channels[service]), method)(request, timeout=DEADLINE, metadata=tuple(metadata))
        except grpc.RpcError as error:
            code: grpc.StatusCode = error.code()  # type: ignore[attr-defined]
            return code
        return grpc.StatusCode.OK


def _data(response: httpx.Response) -> Any:
    assert response.is_success, response.text
    return response.json()


def _timestamp(days: int) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(dt.datetime.now(dt.UTC) + dt.timedelta(days=days))
    return stamp


@pytest.fixture(scope="module")
def world(stack: Stack, api: ApiFactory, tokens: TokenSource) -> Iterator[World]:
    admin, lead = api("network.admin"), api("ettlingen.lead")
    suffix = uuid.uuid4().hex[:6]
    # A deactivated city, vendor and item: real records that no write may name any more.
    ags = f"08{uuid.uuid4().int % 10**6:06d}"
    city = _data(
        admin.post(
            "/cities",
            json={
                "id": f"altstadt-{suffix}",
                "name": f"Altstadt {suffix}",
                "ags": ags,
                "population": 1000,
                "joined_on": "2020-06-01",
            },
        )
    )
    vendor = _data(
        admin.post(
            "/vendors",
            json={
                "id": f"alt-{suffix}",
                "name": f"Alt GmbH {suffix}",
                "country": "CH",  # outside the EU: no VAT id needed
                "contact_email": "alt@example.org",
            },
        )
    )
    hardware = next(i for i in _data(admin.get("/items", params={"limit": 500}))["data"] if i["kind"] == "hardware")
    item = _data(
        admin.post(
            "/items",
            json={
                **{k: hardware[k] for k in ("name", "kind", "cpv_code", "unit")},
                "sku": f"ALT-{suffix}",
                "reference_price_cents": 100,
                "vat_rate_bps": 1900,
            },
        )
    )
    for path in (f"/cities/{city['id']}", f"/vendors/{vendor['id']}", f"/items/{item['id']}"):
        _data(admin.post(f"{path}/deactivate"))
    cities = _data(admin.get("/cities", params={"limit": 500, "include_inactive": True}))["data"]
    vendors = _data(admin.get("/vendors", params={"limit": 500, "include_inactive": True}))["data"]
    items = _data(admin.get("/items", params={"limit": 500, "include_inactive": True}))["data"]
    by_sku = {i["sku"]: i["id"] for i in items if i["active"]}

    # The demo's VPN contract (Ettlingen leads); its parties hold quotas, the other members none.
    tender = next(t for t in _data(lead.get("/tenders", params={"status": "awarded"}))["data"])
    vpn = next(
        c for c in _data(lead.get("/contracts", params={"tender_id": tender["id"]}))["data"] if c["sku"] == "VPN-SEAT"
    )
    open_round = next(
        r
        for r in _data(lead.get("/rounds", params={"status": "open", "limit": 200}))["data"]
        if r["owner_city_id"] == "ettlingen"
    )
    draft_round = _data(
        lead.post("/rounds", json={"title": "Parteien: Entwurf", **WINDOW, "scope_item_ids": [by_sku["LAPTOP-14"]]})
    )

    def closed_round(sku: str) -> str:
        """A round of Ettlingen, closed, with Bruchsal's demand for one item."""
        made = _data(lead.post("/rounds", json={"title": f"Parteien: {sku}", **WINDOW}))
        _data(lead.post(f"/rounds/{made['id']}/open"))
        _data(api("bruchsal.it").post(f"/rounds/{made['id']}/lines", json={"item_id": by_sku[sku], "quantity": 4}))
        _data(lead.post(f"/rounds/{made['id']}/close"))
        return str(made["id"])

    # A closed round for new tenders; a draft tender (UpdateTender); a published tender with a bid (bids).
    closed = closed_round("HEADSET-USB")
    another_draft = _data(lead.post("/tenders", json={"round_id": closed_round("DOCK-USBC")}))
    drafted = _data(lead.post("/tenders", json={"round_id": closed_round("WEBCAM-FHD")}))
    due = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()
    _data(lead.patch(f"/tenders/{drafted['id']}", json={"bids_due_at": due, "version": drafted["version"]}))
    published = _data(lead.post(f"/tenders/{drafted['id']}/publish"))
    lot = published["lots"][0]
    webcam = {"item_id": by_sku["WEBCAM-FHD"], "unit_price_cents": 5_000}
    bid = _data(api("vendor.rheintal").post(f"/tenders/{published['id']}/bids",
                                            json={"lot_id": lot["id"], "prices": [webcam], **PRICE}))  # fmt: skip
    keys = _data(admin.get("/cost-keys", params={"limit": 100}))["data"]
    fixed = next(k for k in keys if k["method"] == "fixed")
    equal = next(k for k in keys if k["method"] == "equal")
    usage_key = next(k for k in keys if k["method"] == "usage")
    line_of_bruchsal = _data(
        api("bruchsal.it").post(
            f"/rounds/{open_round['id']}/lines", json={"item_id": by_sku["LAPTOP-14"], "quantity": 2}
        )
    )

    framework = awarded(api, vendors=2)["contracts"][0]["framework"]
    channels = {name: grpc.insecure_channel(stack.address(name)) for name in service_identity.SERVICES}
    parties = sorted(q["city_id"] for q in vpn["quotas"])
    world = World(
        stack=stack,
        api=api,
        tokens=tokens,
        channels=channels,
        service_tokens={s: service_token(stack, s) for s in service_identity.SERVICES},
        known={
            Kind.CITY: {c["id"] for c in cities},
            Kind.VENDOR: {v["id"] for v in vendors},
            Kind.ITEM: {i["id"] for i in items},
        },
        active={
            Kind.CITY: sorted(c["id"] for c in cities if c["active"]),
            Kind.VENDOR: sorted(v["id"] for v in vendors if v["active"]),
            Kind.ITEM: sorted(i["id"] for i in items if i["active"]),
        },
        inactive={Kind.CITY: city["id"], Kind.VENDOR: vendor["id"], Kind.ITEM: item["id"]},
    )
    world.ids = {
        "contract": vpn["id"],
        "parties": parties,
        "holding": next(
            u["city_id"] for u in _data(lead.get(f"/contracts/{vpn['id']}/utilisation"))["cities"] if u["holding"] > 0
        ),
        "not_parties": sorted(set(world.active[Kind.CITY]) - set(parties)),
        "open_round": open_round["id"],
        "draft_round": draft_round["id"],
        "draft_round_version": draft_round["version"],
        "scope": [by_sku["LAPTOP-14"]],
        "closed_round": closed,
        "round_item": by_sku["HEADSET-USB"],
        "tender": published["id"],
        "lot": lot["id"],
        "lot_items": [i["item_id"] for i in lot["items"]],
        "bid": bid["id"],
        "bid_version": bid["version"],
        "draft_tender": another_draft["id"],
        "fixed_key": fixed,
        "equal_key": equal["id"],
        "usage_key": usage_key["id"],
        "line": line_of_bruchsal["id"],
        "line_version": line_of_bruchsal["version"],
        "framework": framework["id"],  # Bruchsal's 8 VPN seats from two vendors: Bruchsal its only party
        "not_framework_parties": sorted(set(world.active[Kind.CITY]) - {q["city_id"] for q in framework["quotas"]}),
    }
    yield world
    for channel in channels.values():
        channel.close()


# -- the cases: a valid request with the bad id in one field ---------------------------------------

Send = Callable[[World, str], "int | grpc.StatusCode"]  # the HTTP status or the gRPC code of the answer
NonParties = Callable[[World], list[str]]


@dataclass(frozen=True)
class Case:
    operation: str  # "POST /contracts/{id}/allocations" or "ContractsService/CallOff"
    field: str  # the field path the generators name
    kind: Kind
    send: Send
    non_parties: NonParties | None = None  # real, active ids that are no party to this write
    ignored: bool = False  # taken from the token or output only: may be sent, is never stored
    variant: str = ""

    @property
    def id(self) -> str:
        return f"{self.operation} {self.field}{f' ({self.variant})' if self.variant else ''}"


def _other_items(world: World, allowed: list[str]) -> list[str]:
    return [i for i in world.active[Kind.ITEM] if i not in allowed]


def _not_parties(world: World) -> list[str]:
    return list(world.ids["not_parties"])


def _not_own(city: str) -> NonParties:
    return lambda world: [c for c in world.active[Kind.CITY] if c != city]


def _contract_post(path: str, body: Callable[[World, str], dict[str, Any]]) -> Send:
    def send(world: World, bad: str) -> int:
        return (
            world.rest("ettlingen.lead")
            .post(f"/contracts/{world.ids['contract']}/{path}", json=body(world, bad))
            .status_code
        )

    return send


def _not_framework_parties(world: World) -> list[str]:
    return list(world.ids["not_framework_parties"])


def _invitation(city: str) -> dict[str, Any]:
    """A mini-competition's invitation for one city's 2 seats, due tomorrow."""
    due = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    return {"quantities": [{"city_id": city, "quantity": 2}], "offers_due_at": due}


def _external_award(round_id: str, item: str, vendor: str, priced: str) -> dict[str, Any]:
    """An award made on another platform for the closed round's one item, from one vendor."""
    prices = [{"item_id": priced, "unit_price_cents": 4_000}]
    return {"round_id": round_id, "platform": "Vergabemarktplatz BW", "notice_number": "2026/S 1-1",
            "notice_date": "2026-01-15", "procedure": "open_national",
            "lots": [{"items": [{"item_id": item, "max_quantity": 10}], "vendors": [{"vendor_id": vendor,
                                                                                     "prices": prices}]}]}  # fmt: skip


def _record_external(world: World, *, vendor: str = "rheintal", item: str = "", priced: str = "") -> int:
    round_item = world.ids["round_item"]
    body = _external_award(world.ids["closed_round"], item or round_item, vendor, priced or item or round_item)
    return world.rest("ettlingen.lead").post("/tenders/external-awards", json=body).status_code


def _invite(world: World, city: str) -> int:
    path = f"/frameworks/{world.ids['framework']}/mini-competitions"
    return world.rest("ettlingen.lead").post(path, json=_invitation(city)).status_code


def _external_call(world: World, field: str, bad: str) -> grpc.StatusCode:
    """RecordExternalAward over gRPC with `bad` in one id field."""
    item = world.ids["round_item"]
    lot = tenders.ExternalLot(
        items=[tenders.ExternalItem(item_id=bad if field == "lots[].items[].item_id" else item, max_quantity=10)],
        vendors=[tenders.ExternalVendor(
            vendor_id=bad if field == "lots[].vendors[].vendor_id" else "rheintal",
            prices=[tenders.ExternalPrice(item_id=bad if field.endswith("prices[].item_id") else item,
                                          unit_price_cents=4_000)],
        )],
    )  # fmt: skip
    request = tenders.RecordExternalAwardRequest(
        round_id=world.ids["closed_round"],
        platform="Vergabemarktplatz BW",
        notice_number="2026/S 1-1",
        notice_date="2026-01-15",
        procedure=tenders.PROCEDURE_OPEN_NATIONAL,
        lots=[lot],
    )
    outcome: grpc.StatusCode = world.call("tenders", "RecordExternalAward", request, "ettlingen.lead")
    return outcome


def _party(world: World, bad: str) -> str:
    """A party that is not `bad` (the other city of a move or shift)."""
    return next(c for c in world.ids["parties"] if c != bad)


SHIFT = {"quantity": 1, "reason": "Umverteilung im Verbund, geprüft"}
# Changes of a contract (§ 132 GWB): more for a city (a party), or a new vendor (any active vendor may succeed).
MORE = {"kind": "quantity_increase", "justification": "Ein weiterer Arbeitsplatz im Bürgerbüro"}
SUCCESSION = {"kind": "vendor_succession", "legal_ground": "succession",
              "justification": "Verschmelzung auf den Rechtsnachfolger (HRB 1234)"}  # fmt: skip
PRICE = {"delivery_days": 5, "dpa_offered": True, "open_source": False}


def _rest_cases() -> list[Case]:
    contract_cities: list[Case] = [
        Case(
            "POST /contracts/{id}/allocations",
            "city_id",
            Kind.CITY,
            _contract_post("allocations", lambda w, bad: {"city_id": bad, "quantity": 1}),
            _not_parties,
        ),
        Case(
            "POST /contracts/{id}/returns",
            "city_id",
            Kind.CITY,
            _contract_post("returns", lambda w, bad: {"city_id": bad, "quantity": 1}),
            _not_parties,
        ),
        Case(
            "POST /contracts/{id}/moves",
            "from_city_id",
            Kind.CITY,
            _contract_post("moves", lambda w, bad: {"from_city_id": bad, "to_city_id": _party(w, bad), "quantity": 1}),
            _not_parties,
        ),
        Case(
            "POST /contracts/{id}/moves",
            "to_city_id",
            Kind.CITY,
            _contract_post(
                "moves", lambda w, bad: {"from_city_id": w.ids["holding"], "to_city_id": bad, "quantity": 1}
            ),
            _not_parties,
        ),
        Case(
            "POST /contracts/{id}/quota-shifts",
            "from_city_id",
            Kind.CITY,
            _contract_post("quota-shifts", lambda w, bad: {"from_city_id": bad, "to_city_id": _party(w, bad), **SHIFT}),
            _not_parties,
        ),
        Case(
            "POST /contracts/{id}/quota-shifts",
            "to_city_id",
            Kind.CITY,
            _contract_post("quota-shifts", lambda w, bad: {"from_city_id": _party(w, bad), "to_city_id": bad, **SHIFT}),
            _not_parties,
        ),
        Case(
            "POST /contracts/{id}/changes",
            "quota_additions[].city_id",
            Kind.CITY,
            _contract_post("changes", lambda w, bad: {**MORE, "quota_additions": [{"city_id": bad, "quantity": 1}]}),
            _not_parties,
        ),
        Case(
            "POST /contracts/{id}/changes",
            "vendor_id",
            Kind.VENDOR,
            _contract_post("changes", lambda w, bad: {**SUCCESSION, "vendor_id": bad}),
        ),
        Case(
            "POST /frameworks/{id}/mini-competitions",
            "quantities[].city_id",
            Kind.CITY,
            _invite,
            _not_framework_parties,
        ),
        Case(
            "POST /tenders/external-awards",
            "lots[].vendors[].vendor_id",
            Kind.VENDOR,
            lambda w, bad: _record_external(w, vendor=bad),
        ),
        Case(
            "POST /tenders/external-awards",
            "lots[].items[].item_id",
            Kind.ITEM,
            lambda w, bad: _record_external(w, item=bad),
            lambda w: _other_items(w, [w.ids["round_item"]]),
        ),
        Case(
            "POST /tenders/external-awards",
            "lots[].vendors[].prices[].item_id",
            Kind.ITEM,
            lambda w, bad: _record_external(w, priced=bad),
            lambda w: _other_items(w, [w.ids["round_item"]]),
        ),
        # A lead may make a member city a party on purpose; nobody else becomes one, whatever is said.
        Case(
            "POST /contracts/{id}/quota-shifts",
            "to_city_id",
            Kind.CITY,
            _contract_post(
                "quota-shifts",
                lambda w, bad: {"from_city_id": _party(w, bad), "to_city_id": bad, "add_party": True, **SHIFT},
            ),
            variant="add_party",
        ),
    ]

    def line(body: Callable[[World, str], dict[str, Any]]) -> Send:
        return lambda w, bad: (
            w.rest("bruchsal.it").post(f"/rounds/{w.ids['open_round']}/lines", json=body(w, bad)).status_code
        )

    def split(body: Callable[[World, str], dict[str, Any]], key: str) -> Send:
        return lambda w, bad: (
            w.rest("network.admin").post(f"/cost-keys/{w.ids[key]}/split", json=body(w, bad)).status_code
        )

    def fixed_shares(bad: str) -> list[dict[str, Any]]:
        return [
            {"city_id": bad, "basis_points": 5000},
            {"city_id": "bruchsal" if bad != "bruchsal" else "rastatt", "basis_points": 5000},
        ]

    def new_key(w: World, bad: str) -> int:
        slug = f"key-{uuid.uuid4().hex[:8]}"
        body = {"id": slug, "name": slug, "method": "fixed", "shares": fixed_shares(bad)}
        return w.rest("network.admin").post("/cost-keys", json=body).status_code

    def change_key(w: World, bad: str) -> int:
        key = w.ids["fixed_key"]
        return (
            w.rest("network.admin")
            .patch(
                f"/cost-keys/{key['id']}",
                json={"shares": fixed_shares(bad)},
                headers={"If-Match": f'"{key["version"]}"'},
            )
            .status_code
        )

    def bid(w: World, bad: str) -> int:
        body = {"lot_id": w.ids["lot"], "prices": [{"item_id": bad, "unit_price_cents": 4_000}], **PRICE}
        return w.rest("vendor.schwarzwald").post(f"/tenders/{w.ids['tender']}/bids", json=body).status_code

    def replace_bid(w: World, bad: str) -> int:
        body = {"prices": [{"item_id": bad, "unit_price_cents": 4_000}], "version": w.bid_version(), **PRICE}
        return w.rest("vendor.rheintal").put(f"/tenders/{w.ids['tender']}/bids/{w.ids['bid']}", json=body).status_code

    others = [
        Case(
            "POST /rounds/{id}/lines",
            "city_id",
            Kind.CITY,
            line(lambda w, bad: {"item_id": w.ids["scope"][0], "quantity": 1, "city_id": bad}),
            _not_own("bruchsal"),
        ),
        Case("POST /rounds/{id}/lines", "item_id", Kind.ITEM, line(lambda w, bad: {"item_id": bad, "quantity": 1})),
        Case(
            "PUT /budgets/{city_id}/{year}",
            "{city_id}",
            Kind.CITY,
            lambda w, bad: (
                w.rest("rastatt.finance").put(f"/budgets/{bad}/2027", json={"amount_cents": 100}).status_code
            ),
            _not_own("rastatt"),
        ),
        Case("POST /cost-keys", "shares[].city_id", Kind.CITY, new_key),
        Case("PATCH /cost-keys/{id}", "shares[].city_id", Kind.CITY, change_key),
        Case(
            "POST /cost-keys/{id}/split",
            "city_ids",
            Kind.CITY,
            split(lambda w, bad: {"amount_cents": 900, "city_ids": ["bruchsal", bad]}, "equal_key"),
        ),
        Case(
            "POST /cost-keys/{id}/split",
            "usage{}",
            Kind.CITY,
            split(lambda w, bad: {"amount_cents": 900, "usage": {"bruchsal": 2, bad: 1}}, "usage_key"),
        ),
        Case(
            "POST /rounds",
            "scope_item_ids",
            Kind.ITEM,
            lambda w, bad: (
                w.rest("ettlingen.lead")
                .post("/rounds", json={"title": "Parteien", **WINDOW, "scope_item_ids": [bad]})
                .status_code
            ),
        ),
        Case(
            "PATCH /rounds/{id}",
            "scope_item_ids",
            Kind.ITEM,
            lambda w, bad: (
                w.rest("ettlingen.lead")
                .patch(f"/rounds/{w.ids['draft_round']}", json={"scope_item_ids": [bad], "version": w.round_version()})
                .status_code
            ),
        ),
        Case(
            "POST /tenders",
            "lot_groups[].item_ids",
            Kind.ITEM,
            lambda w, bad: (
                w.rest("ettlingen.lead")
                .post("/tenders", json={"round_id": w.ids["closed_round"], "lot_groups": [{"item_ids": [bad]}]})
                .status_code
            ),
            lambda w: _other_items(w, [w.ids["round_item"]]),
        ),
        Case(
            "POST /tenders/{id}/bids", "prices[].item_id", Kind.ITEM, bid, lambda w: _other_items(w, w.ids["lot_items"])
        ),
        Case(
            "PUT /tenders/{id}/bids/{bid_id}",
            "prices[].item_id",
            Kind.ITEM,
            replace_bid,
            lambda w: _other_items(w, w.ids["lot_items"]),
        ),
    ]
    return contract_cities + others


def _grpc_cases() -> list[Case]:
    def mask(*paths: str) -> FieldMask:
        return FieldMask(paths=list(paths))

    def rounds(days_open: int = 30, **fields: Any) -> demand.Round:
        return demand.Round(title="Parteien", opens_at=_timestamp(0), closes_at=_timestamp(days_open), **fields)

    def fixed(bad: str) -> list[catalog.CostShare]:
        other = "bruchsal" if bad != "bruchsal" else "rastatt"
        return [catalog.CostShare(city_id=bad, basis_points=5000), catalog.CostShare(city_id=other, basis_points=5000)]

    def contracts_call(method: str, request: Callable[[World, str], Any]) -> Send:
        return lambda w, bad: w.call("contracts", method, request(w, bad), "ettlingen.lead")

    def tenders_call(method: str, request: Callable[[World, str], Any]) -> Send:
        return lambda w, bad: w.call("tenders", method, request(w, bad), "ettlingen.lead")

    def bid(method: str, user: str, extra: Callable[[World], dict[str, Any]]) -> Callable[[str, str], Send]:
        def field(vendor: str, item: str) -> Send:
            def send(w: World, bad: str) -> grpc.StatusCode:
                prices = [
                    tenders.BidPrice(item_id=w.ids["lot_items"][0] if item == "" else bad, unit_price_cents=4_000)
                ]
                message = tenders.Bid(
                    lot_id=w.ids["lot"],
                    vendor_id=bad if vendor else "",
                    prices=prices,
                    delivery_days=5,
                    dpa_offered=True,
                    **extra(w),
                )
                request = tenders.SubmitBidRequest(
                    tender_id=w.ids["tender"], bid=message, expected_version=w.bid_version() if extra(w) else 0
                )
                return w.call("tenders", method, request, user)

            return send

        return field

    submit = bid("SubmitBid", "vendor.globalmeet", lambda w: {})
    replace = bid("ReplaceBid", "vendor.rheintal", lambda w: {"id": w.ids["bid"]})

    def prefilled(city: str = "bruchsal", item: str = "", scope: str = "") -> Callable[[World], Any]:
        def request(w: World) -> Any:
            return demand.CreatePrefilledRoundRequest(
                round=rounds(scope_item_ids=[scope] if scope else []),
                lines=[demand.PrefilledLine(city_id=city, item_id=item or w.ids["scope"][0], quantity=3)],
            )

        return request

    def award(lead: str = "ettlingen", vendor: str = "rheintal", item: str = "", city: str = "bruchsal") -> Any:
        """An award order as the tenders service delivers it, for a tender of its own each time."""

        def request(w: World) -> contracts.CreateAwardContractsRequest:
            awarded = contracts.AwardedItem(
                contract_id=str(uuid.uuid4()), lot_id=str(uuid.uuid4()), bid_id=str(uuid.uuid4()), vendor_id=vendor,
                item_id=item or w.ids["round_item"], sku="HEADSET-USB", name="Headset", unit="St", kind="hardware",
                unit_price_cents=4_000, ceiling_quantity=4, quotas=[contracts.CityShare(city_id=city, quantity=4)],
            )  # fmt: skip
            return contracts.CreateAwardContractsRequest(
                tender_id=str(uuid.uuid4()), lead_city_id=lead, awarded_by="ettlingen.lead", awarded_at=_timestamp(0),
                starts_on="2027-01-01", ends_on="2028-12-31", renewal_notice_on="2028-09-30", items=[awarded],
            )  # fmt: skip

        return request

    def line(w: World, city: str, item: str) -> demand.CreateLineRequest:
        return demand.CreateLineRequest(
            line=demand.Line(round_id=w.ids["open_round"], city_id=city, item_id=item, quantity=1)
        )

    return [
        Case(
            "CatalogService/CreateCostKey",
            "cost_key.shares[].city_id",
            Kind.CITY,
            lambda w, bad: w.call(
                "catalog",
                "CreateCostKey",
                catalog.CreateCostKeyRequest(
                    cost_key=catalog.CostKey(
                        id=f"key-{uuid.uuid4().hex[:8]}",
                        name=uuid.uuid4().hex,
                        method=catalog.COST_KEY_METHOD_FIXED,
                        shares=fixed(bad),
                    )
                ),
                "network.admin",
            ),
        ),
        Case(
            "CatalogService/UpdateCostKey",
            "cost_key.shares[].city_id",
            Kind.CITY,
            lambda w, bad: w.call(
                "catalog",
                "UpdateCostKey",
                catalog.UpdateCostKeyRequest(
                    cost_key=catalog.CostKey(id=w.ids["fixed_key"]["id"], shares=fixed(bad)),
                    update_mask=mask("shares"),
                    expected_version=w.ids["fixed_key"]["version"],
                ),
                "network.admin",
            ),
        ),
        Case(
            "DemandService/CreateRound",
            "round.scope_item_ids[]",
            Kind.ITEM,
            lambda w, bad: w.call(
                "demand", "CreateRound", demand.CreateRoundRequest(round=rounds(scope_item_ids=[bad])), "ettlingen.lead"
            ),
        ),
        Case(
            "DemandService/CreateRound",
            "round.owner_city_id",
            Kind.CITY,
            lambda w, bad: w.call(
                "demand", "CreateRound", demand.CreateRoundRequest(round=rounds(owner_city_id=bad)), "ettlingen.lead"
            ),
            ignored=True,
        ),
        Case(
            "DemandService/UpdateRound",
            "round.scope_item_ids[]",
            Kind.ITEM,
            lambda w, bad: w.call(
                "demand",
                "UpdateRound",
                demand.UpdateRoundRequest(
                    round=demand.Round(id=w.ids["draft_round"], scope_item_ids=[bad]),
                    update_mask=mask("scope_item_ids"),
                    expected_version=w.round_version(),
                ),
                "ettlingen.lead",
            ),
        ),
        Case(
            "DemandService/UpdateRound",
            "round.owner_city_id",
            Kind.CITY,
            lambda w, bad: w.call(
                "demand",
                "UpdateRound",
                demand.UpdateRoundRequest(
                    round=demand.Round(id=w.ids["draft_round"], owner_city_id=bad, title="Parteien"),
                    update_mask=mask("title"),
                    expected_version=w.round_version(),
                ),
                "ettlingen.lead",
            ),
            ignored=True,
        ),
        Case(
            "DemandService/UpdateRound",
            "round.owner_city_id",
            Kind.CITY,
            lambda w, bad: w.call(
                "demand",
                "UpdateRound",
                demand.UpdateRoundRequest(
                    round=demand.Round(id=w.ids["draft_round"], owner_city_id=bad), update_mask=mask("owner_city_id")
                ),
                "ettlingen.lead",
            ),
            variant="in the mask",
        ),
        *(
            Case(
                "DemandService/CreatePrefilledRound",
                field,
                kind,
                lambda w, bad, where=where: w.call(
                    "demand",
                    "CreatePrefilledRound",
                    prefilled(**{where: bad})(w),
                    "ettlingen.lead",
                    as_service="contracts",
                ),
            )
            for field, kind, where in (
                ("lines[].city_id", Kind.CITY, "city"),
                ("lines[].item_id", Kind.ITEM, "item"),
                ("round.scope_item_ids[]", Kind.ITEM, "scope"),
            )
        ),
        Case(
            "DemandService/CreatePrefilledRound",
            "round.owner_city_id",
            Kind.CITY,
            lambda w, bad: w.call(
                "demand",
                "CreatePrefilledRound",
                demand.CreatePrefilledRoundRequest(round=rounds(owner_city_id=bad)),
                "ettlingen.lead",
                as_service="contracts",
            ),
            ignored=True,
        ),
        # Internal: only the tenders service delivers award orders (it checks the parties when the lead awards,
        # and a delivery must not fail later); whatever a user names there is refused at the door.
        *(
            Case(
                "ContractsService/CreateAwardContracts",
                field,
                kind,
                lambda w, bad, where=where: w.call(
                    "contracts", "CreateAwardContracts", award(**{where: bad})(w), "ettlingen.lead"
                ),
            )
            for field, kind, where in (
                ("lead_city_id", Kind.CITY, "lead"),
                ("items[].vendor_id", Kind.VENDOR, "vendor"),
                ("items[].item_id", Kind.ITEM, "item"),
                ("items[].quotas[].city_id", Kind.CITY, "city"),
            )
        ),
        Case(
            "DemandService/CreateLine",
            "line.city_id",
            Kind.CITY,
            lambda w, bad: w.call("demand", "CreateLine", line(w, bad, w.ids["scope"][0]), "bruchsal.it"),
            _not_own("bruchsal"),
        ),
        Case(
            "DemandService/CreateLine",
            "line.item_id",
            Kind.ITEM,
            lambda w, bad: w.call("demand", "CreateLine", line(w, "bruchsal", bad), "bruchsal.it"),
        ),
        *(
            Case(
                "DemandService/UpdateLine",
                f"line.{name}",
                kind,
                lambda w, bad, name=name: w.call(
                    "demand",
                    "UpdateLine",
                    demand.UpdateLineRequest(
                        line=demand.Line(id=w.ids["line"], round_id=w.ids["open_round"], quantity=2, **{name: bad}),
                        update_mask=mask("quantity"),
                        expected_version=w.line_version(),
                    ),
                    "bruchsal.it",
                ),
                ignored=True,
            )
            for name, kind in (("city_id", Kind.CITY), ("item_id", Kind.ITEM))
        ),
        Case(
            "DemandService/ImportLines",
            "city_id",
            Kind.CITY,
            lambda w, bad: w.call(
                "demand",
                "ImportLines",
                demand.ImportLinesRequest(round_id=w.ids["open_round"], city_id=bad, mode=demand.IMPORT_MODE_ADD),
                "bruchsal.it",
            ),
            _not_own("bruchsal"),
        ),
        Case(
            "TendersService/CreateTender",
            "lot_groups[].item_ids[]",
            Kind.ITEM,
            tenders_call(
                "CreateTender",
                lambda w, bad: tenders.CreateTenderRequest(
                    round_id=w.ids["closed_round"], lot_groups=[tenders.LotGroup(item_ids=[bad])]
                ),
            ),
            lambda w: _other_items(w, [w.ids["round_item"]]),
        ),
        *(
            Case(
                "TendersService/UpdateTender",
                path,
                kind,
                tenders_call(
                    "UpdateTender",
                    lambda w, bad, build=build: tenders.UpdateTenderRequest(
                        tender=build(w, bad), update_mask=mask("title"), expected_version=w.tender_version()
                    ),
                ),
                ignored=True,
            )
            for path, kind, build in (
                (
                    "tender.lead_city_id",
                    Kind.CITY,
                    lambda w, bad: tenders.Tender(id=w.ids["draft_tender"], title="Parteien", lead_city_id=bad),
                ),
                (
                    "tender.participating_city_ids[]",
                    Kind.CITY,
                    lambda w, bad: tenders.Tender(
                        id=w.ids["draft_tender"], title="Parteien", participating_city_ids=[bad]
                    ),
                ),
                (
                    "tender.lots[].items[].item_id",
                    Kind.ITEM,
                    lambda w, bad: tenders.Tender(
                        id=w.ids["draft_tender"],
                        title="Parteien",
                        lots=[tenders.Lot(items=[tenders.LotItem(item_id=bad)])],
                    ),
                ),
                (
                    "tender.lots[].items[].shares[].city_id",
                    Kind.CITY,
                    lambda w, bad: tenders.Tender(
                        id=w.ids["draft_tender"],
                        title="Parteien",
                        lots=[
                            tenders.Lot(items=[tenders.LotItem(shares=[tenders.CityShare(city_id=bad, quantity=1)])])
                        ],
                    ),
                ),
            )
        ),
        Case(
            "TendersService/SubmitBid",
            "bid.prices[].item_id",
            Kind.ITEM,
            submit("", "bad"),
            lambda w: _other_items(w, w.ids["lot_items"]),
        ),
        Case(
            "TendersService/ReplaceBid",
            "bid.prices[].item_id",
            Kind.ITEM,
            replace("", "bad"),
            lambda w: _other_items(w, w.ids["lot_items"]),
        ),
        Case("TendersService/ReplaceBid", "bid.vendor_id", Kind.VENDOR, replace("bad", ""), ignored=True),
        Case(
            "TendersService/SubmitBid",
            "bid.vendor_id",
            Kind.VENDOR,
            lambda w, bad: w.call(
                "tenders",
                "SubmitBid",
                tenders.SubmitBidRequest(
                    tender_id=w.ids["tender"],
                    bid=tenders.Bid(
                        lot_id=w.ids["lot"],
                        vendor_id=bad,
                        prices=[tenders.BidPrice(item_id=w.ids["lot_items"][0], unit_price_cents=4_000)],
                    ),
                ),
                "vendor.globalmeet",
            ),
            ignored=True,
        ),
        Case(
            "ContractsService/CallOff",
            "city_id",
            Kind.CITY,
            contracts_call(
                "CallOff",
                lambda w, bad: contracts.CallOffRequest(contract_id=w.ids["contract"], city_id=bad, quantity=1),
            ),
            _not_parties,
        ),
        Case(
            "ContractsService/ReturnSeats",
            "city_id",
            Kind.CITY,
            contracts_call(
                "ReturnSeats",
                lambda w, bad: contracts.ReturnSeatsRequest(contract_id=w.ids["contract"], city_id=bad, quantity=1),
            ),
            _not_parties,
        ),
        Case(
            "ContractsService/MoveSeats",
            "from_city_id",
            Kind.CITY,
            contracts_call(
                "MoveSeats",
                lambda w, bad: contracts.MoveSeatsRequest(
                    contract_id=w.ids["contract"], from_city_id=bad, to_city_id=_party(w, bad), quantity=1
                ),
            ),
            _not_parties,
        ),
        Case(
            "ContractsService/MoveSeats",
            "to_city_id",
            Kind.CITY,
            contracts_call(
                "MoveSeats",
                lambda w, bad: contracts.MoveSeatsRequest(
                    contract_id=w.ids["contract"], from_city_id=w.ids["holding"], to_city_id=bad, quantity=1
                ),
            ),
            _not_parties,
        ),
        Case(
            "ContractsService/ChangeContract",
            "quota_additions[].city_id",
            Kind.CITY,
            contracts_call(
                "ChangeContract",
                lambda w, bad: contracts.ChangeContractRequest(
                    contract_id=w.ids["contract"],
                    kind=contracts.CHANGE_KIND_QUANTITY_INCREASE,
                    justification=MORE["justification"],
                    quota_additions=[contracts.CityShare(city_id=bad, quantity=1)],
                ),
            ),
            _not_parties,
        ),
        Case(
            "ContractsService/ChangeContract",
            "vendor_id",
            Kind.VENDOR,
            contracts_call(
                "ChangeContract",
                lambda w, bad: contracts.ChangeContractRequest(
                    contract_id=w.ids["contract"],
                    kind=contracts.CHANGE_KIND_VENDOR_SUCCESSION,
                    justification=SUCCESSION["justification"],
                    legal_ground=contracts.LEGAL_GROUND_SUCCESSION,
                    vendor_id=bad,
                ),
            ),
        ),
        *(
            Case(
                "TendersService/RecordExternalAward",
                field,
                kind,
                lambda w, bad, f=field: _external_call(w, f, bad),
                non_parties,
            )
            for field, kind, non_parties in (
                ("lots[].vendors[].vendor_id", Kind.VENDOR, None),
                ("lots[].items[].item_id", Kind.ITEM, lambda w: _other_items(w, [w.ids["round_item"]])),
                ("lots[].vendors[].prices[].item_id", Kind.ITEM, lambda w: _other_items(w, [w.ids["round_item"]])),
            )
        ),
        Case(
            "ContractsService/StartMiniCompetition",
            "quantities[].city_id",
            Kind.CITY,
            contracts_call(
                "StartMiniCompetition",
                lambda w, bad: contracts.StartMiniCompetitionRequest(
                    framework_id=w.ids["framework"],
                    quantities=[contracts.CityShare(city_id=bad, quantity=2)],
                    offers_due_at=to_timestamp(dt.datetime.now(dt.UTC) + dt.timedelta(days=1)),
                ),
            ),
            _not_framework_parties,
        ),
        Case(
            "ContractsService/ShiftQuota",
            "from_city_id",
            Kind.CITY,
            contracts_call(
                "ShiftQuota",
                lambda w, bad: contracts.ShiftQuotaRequest(
                    contract_id=w.ids["contract"],
                    from_city_id=bad,
                    to_city_id=_party(w, bad),
                    quantity=1,
                    reason=SHIFT["reason"],
                ),
            ),
            _not_parties,
        ),
        Case(
            "ContractsService/ShiftQuota",
            "to_city_id",
            Kind.CITY,
            contracts_call(
                "ShiftQuota",
                lambda w, bad: contracts.ShiftQuotaRequest(
                    contract_id=w.ids["contract"],
                    from_city_id=_party(w, bad),
                    to_city_id=bad,
                    quantity=1,
                    reason=SHIFT["reason"],
                ),
            ),
            _not_parties,
        ),
        Case(
            "ContractsService/ShiftQuota",
            "to_city_id",
            Kind.CITY,
            contracts_call(
                "ShiftQuota",
                lambda w, bad: contracts.ShiftQuotaRequest(
                    contract_id=w.ids["contract"],
                    from_city_id=_party(w, bad),
                    to_city_id=bad,
                    quantity=1,
                    reason=SHIFT["reason"],
                    add_party=True,
                ),
            ),
            variant="add_party",
        ),
        Case(
            "ContractsService/SetBudget",
            "city_id",
            Kind.CITY,
            lambda w, bad: w.call(
                "contracts",
                "SetBudget",
                contracts.SetBudgetRequest(city_id=bad, year=2027, amount_cents=1),
                "rastatt.finance",
            ),
            _not_own("rastatt"),
        ),
    ]


REST_CASES, GRPC_CASES = _rest_cases(), _grpc_cases()


# -- the bad ids ---------------------------------------------------------------------------------


def _spellings(real: str) -> st.SearchStrategy[str]:
    """`real` with some letters in upper case (ids compare exactly)."""
    letters = [i for i, c in enumerate(real) if c.isalpha()]
    return st.sets(st.sampled_from(letters), min_size=1).map(
        lambda upper: "".join(c.upper() if i in upper else c for i, c in enumerate(real))
    )


def bad_ids(world: World, case: Case) -> st.SearchStrategy[str]:
    known = world.known[case.kind]
    if case.kind is Kind.ITEM:
        nothing = st.uuids().map(str)
    else:
        nothing = st.from_regex(r"[a-z0-9]{3,12}", fullmatch=True).map(lambda s: f"zz-{s}")  # distinct from any word
    strategies = [
        nothing.filter(lambda candidate: candidate not in known),
        st.sampled_from(world.active[case.kind]).flatmap(_spellings),
        st.just(world.inactive[case.kind]),
    ]
    if case.non_parties is not None:
        strategies.append(st.sampled_from(case.non_parties(world)))
    return st.one_of(strategies)


def _refused(outcome: int | grpc.StatusCode) -> bool:
    if isinstance(outcome, grpc.StatusCode):
        return outcome in (
            grpc.StatusCode.INVALID_ARGUMENT,
            grpc.StatusCode.NOT_FOUND,
            grpc.StatusCode.PERMISSION_DENIED,
            grpc.StatusCode.FAILED_PRECONDITION,
        )
    return 400 <= outcome < 500


def _check(world: World, case: Case, bad: str) -> None:
    before = world.databases()
    outcome = case.send(world, bad)
    if case.ignored:
        assert not (isinstance(outcome, int) and outcome >= 500) and outcome not in (
            grpc.StatusCode.INTERNAL,
            grpc.StatusCode.UNKNOWN,
        ), (case.id, bad, outcome)
        assert world.stored(bad) == [], f"{case.id}: {bad!r} was stored"
        return
    assert _refused(outcome), f"{case.id}: {bad!r} was not refused ({outcome})"
    assert world.databases() == before, f"{case.id}: {bad!r} was refused, but something was stored"


@pytest.mark.parametrize("case", REST_CASES + GRPC_CASES, ids=lambda case: case.id)
def test_no_write_names_what_is_not_an_active_party(world: World, case: Case) -> None:
    examples = IGNORED_EXAMPLES if case.ignored else EXAMPLES

    @settings(
        max_examples=examples, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(bad=bad_ids(world, case))
    def refused_and_nothing_stored(bad: str) -> None:
        _check(world, case, bad)

    refused_and_nothing_stored()


def test_every_write_that_takes_an_id_is_a_case() -> None:
    """A new id field in the OpenAPI document or a proto joins this test, or the test says which is missing."""
    assert {(c.operation, c.field) for c in REST_CASES} == _rest_id_fields()
    assert {(c.operation, c.field) for c in GRPC_CASES} == _grpc_id_fields()
    assert len(_rest_id_fields()) >= 15 and len(_grpc_id_fields()) >= 25


@pytest.mark.parametrize("kind", list(Kind))
def test_the_generators_make_every_kind_of_bad_id(world: World, kind: Kind) -> None:
    """The strategy reaches all four classes for each kind (so no class is silently never tried)."""
    case = Case("probe", "probe", kind, lambda w, bad: 0, lambda w: [w.active[kind][0]])
    seen: set[str] = set()

    @settings(max_examples=200, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(bad=bad_ids(world, case))
    def classify(bad: str) -> None:
        if bad == world.inactive[kind]:
            seen.add("inactive")
        elif bad == world.active[kind][0]:
            seen.add("no party")
        elif bad.lower() in world.known[kind]:
            seen.add("spelling")
        else:
            seen.add("nothing")

    classify()
    assert seen == {"inactive", "no party", "spelling", "nothing"}
