"""Tenant isolation, generated from the OpenAPI document: every operation × every city- or vendor-bound
role × resources of someone else.

For each role the matrix knows which of another city's (or vendor's) resources it must not see: for
`buehl.it` and `buehl.finance` Stutensee's demand line, a draft round, the tender Bühl takes no part
in, its bids and contracts, Stutensee's postings and budget; for `vendor.rheintal` a draft tender,
Schwarzwald's bid and contract, every city's demand and money. Each operation is sent twice, once
with those ids and once with ids that do not exist:

- if the operation touches something hidden from the role, both answers are the same 403 or 404
  problem, word for word once the ids are swapped, so ids cannot be probed;
- a write that names another city's or vendor's resource is refused (4xx);
- a 2xx answer to a city user carries no other city's id (`city_id`, `city:` accounts), one to a
  vendor no city's at all, and neither carries the id of anything hidden;
- afterwards another city's data read by the network admin is unchanged.

`buehl.lead` reads network-wide by design (DESIGN.md); for it the matrix proves that writes on the
rounds, tenders and contracts Ettlingen leads are refused.

Some rows are refused by the gateway's role check before any service is asked (city IT closing a
round, finance writing demand, a lead shifting another city's quota, ...); that the services refuse
them by themselves too is proved, for a sample, by test_services_direct.py with the same tokens.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
import pytest
from civicpool.catalog.v1 import catalog_pb2  # noqa: F401 - the descriptors of every service's methods
from civicpool.contracts.v1 import contracts_pb2  # noqa: F401
from civicpool.demand.v1 import demand_pb2  # noqa: F401
from civicpool.tenders.v1 import tenders_pb2  # noqa: F401
from civicpool_cli.stack import Stack
from civicpool_common.methods import full_service_name, internal_methods
from civicpool_common.service_identity import SERVICE_TOKEN_METADATA, SERVICES

from tests.conftest import PROBLEM, ApiFactory
from tests.integration.test_invoices_api import charged
from tests.support.einvoices import Line, ubl_invoice
from tests.support.openapi import committed_openapi
from tests.support.tenders import BERLIN, awarded
from tests.support.tokens import TokenSource

SPEC = committed_openapi()
API = "/api/v1"
MISSING_ID = "01a219d6-0000-7000-8000-00000000dead"
MISSING_CITY = "atlantis"
OWN_CITY = "buehl"
LEAD = "buehl.lead"
VENDOR = "vendor.rheintal"
DRAFT_ROUND = "buehl.it, draft round"  # a second view of city IT: a round not yet opened is hidden too
PROFILES = ("buehl.it", "buehl.finance", DRAFT_ROUND, LEAD, VENDOR)  # who asks, and about what
FOREIGN_KINDS = {"round", "line_round", "line", "tender", "bid_tender", "bid", "contract", "transaction", "city", "lot",
                 "document", "question", "complaint", "framework", "mini_competition", "invoice", "charge"}  # fmt: skip
WRITES = {"post", "put", "patch", "delete"}


def today() -> str:
    """Today in Berlin, when asked: the matrix may run across midnight, and an award made after it is of the new
    day (a module constant, read at import, once made a complaint predate its award)."""
    return dt.datetime.now(BERLIN).date().isoformat()


# Which value a path parameter takes: by its name, or for `{id}` by the collection it names.
COLLECTION_KINDS = {
    "items": "item",
    "cities": "network_city",
    "vendors": "vendor",
    "cost-keys": "cost_key",
    "rounds": "round",
    "tenders": "tender",
    "contracts": "contract",
    "ledger": "transaction",
    "frameworks": "framework",
    "mini-competitions": "mini_competition",
    "invoices": "invoice",
    "charge-invoices": "charge",
}
QUERY_KINDS = {"city_id": "city", "city": "city", "contract_id": "contract", "tender_id": "tender"}
CITY_KEYS = {"city_id", "from_city_id", "to_city_id", "city"}
NETWORK_DATA = ("/items", "/cities", "/vendors", "/cost-keys", "/me")  # not any one city's


def _body_templates() -> dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]]:
    """A valid body for each write that can name someone else's resource (values: the world's ids)."""
    price = {"delivery_days": 5, "dpa_offered": True, "open_source": False}
    return {
        ("patch", "/rounds/{id}"): lambda v: {"title": "Übernommen", "version": v["round_version"]},
        ("post", "/rounds/{id}/cancel"): lambda v: {"reason": "Übernahmeversuch"},
        ("post", "/rounds/{id}/lines"): lambda v: {"item_id": v["item"], "quantity": 1, "city_id": v["city"]},
        ("patch", "/rounds/{id}/lines/{line_id}"): lambda v: {"quantity": 1, "version": v["line_version"]},
        ("post", "/tenders"): lambda v: {"round_id": v["round"]},
        ("patch", "/tenders/{id}"): lambda v: {"title": "Übernommen", "version": v["tender_version"]},
        ("post", "/tenders/{id}/cancel"): lambda v: {"reason": "Übernahmeversuch"},
        ("post", "/tenders/{id}/evaluate"): lambda v: {
            "weights": {"price": 60, "quality": 25, "data_protection": 15},
            "scores": [{"bid_id": v["bid"], "quality": 50}],
            "version": v["tender_version"],
        },
        ("post", "/tenders/{id}/award"): lambda v: {
            "awards": [{"lot_id": v["lot"], "bid_id": v["bid"]}],
            "version": v["tender_version"],
        },
        ("post", "/tenders/{id}/bids"): lambda v: {
            "lot_id": v["lot"],
            "prices": [{"item_id": v["lot_item"], "unit_price_cents": 100}],
            **price,
        },
        ("put", "/tenders/{id}/bids/{bid_id}"): lambda v: {
            "prices": [{"item_id": v["lot_item"], "unit_price_cents": 100}],
            "version": v["bid_version"],
            **price,
        },
        ("post", "/tenders/{id}/questions"): lambda v: {"question": "Übernahmeversuch?"},
        ("post", "/tenders/{id}/questions/{question_id}/answer"): lambda v: {"answer": "Übernahmeversuch"},
        ("post", "/tenders/{id}/clarifications"): lambda v: {"text": "Übernahmeversuch"},
        ("post", "/tenders/{id}/complaints"): lambda v: {"received_on": today(), "chamber": "Übernahmeversuch"},
        ("post", "/tenders/{id}/complaints/{complaint_id}/outcome"): lambda v: {
            "outcome": "upheld",
            "decided_on": today(),
        },
        ("post", "/contracts/{id}/allocations"): lambda v: {"city_id": v["city"], "quantity": 1},
        ("post", "/contracts/{id}/returns"): lambda v: {"city_id": v["city"], "quantity": 1},
        ("post", "/contracts/{id}/moves"): lambda v: {"from_city_id": v["city"], "to_city_id": OWN_CITY, "quantity": 1},
        ("post", "/contracts/{id}/quota-shifts"): lambda v: {
            "from_city_id": v["city"],
            "to_city_id": OWN_CITY,
            "quantity": 1,
            "reason": "Übernahmeversuch",
        },
        ("post", "/contracts/{id}/shared-costs"): lambda v: {"amount_cents": 100, "memo": "Übernahmeversuch"},
        ("post", "/ledger/transactions/{id}/charge-invoices"): lambda v: {"payment_days": 30},
        ("post", "/contracts/{id}/renewal-round"): lambda v: {},
        ("post", "/contracts/{id}/changes"): lambda v: {
            "kind": "quantity_increase",
            "quota_additions": [{"city_id": v["city"], "quantity": 1}],
            "justification": "Übernahmeversuch einer fremden Quote",
        },
        ("post", "/ledger/transactions/{id}/reverse"): lambda v: {"reason": "Übernahmeversuch"},
        ("post", "/frameworks/{id}/mini-competitions"): lambda v: {
            "quantities": [{"city_id": v["city"], "quantity": 1}],
            "offers_due_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat(),
            "description": "Übernahmeversuch",
        },
        ("put", "/mini-competitions/{id}/offer"): lambda v: {"unit_price_cents": 100},
        ("post", "/tenders/external-awards"): lambda v: {
            "round_id": v["round"],
            "platform": "Übernahmeversuch",
            "notice_number": "1",
            "notice_date": today(),
            "procedure": "open_national",
            "lots": [
                {
                    "items": [{"item_id": v["item"], "max_quantity": 1}],
                    "vendors": [
                        {"vendor_id": "schwarzwald", "prices": [{"item_id": v["item"], "unit_price_cents": 1}]}
                    ],
                }
            ],
        },
        ("post", "/ledger/transactions/{id}/pass-on"): lambda v: {"cause": "declined", "reason": "Übernahmeversuch"},
        ("put", "/budgets/{city_id}/{year}"): lambda v: {"amount_cents": 100},
        ("post", "/invoices/{id}/reject"): lambda v: {"reason": "Übernahmeversuch einer fremden Rechnung"},
    }


BODIES = _body_templates()
BODY_KINDS = {  # which of the world's ids each body names
    ("post", "/rounds/{id}/lines"): {"city"},
    ("post", "/tenders"): {"round"},
    ("post", "/tenders/{id}/evaluate"): {"bid"},
    ("post", "/tenders/{id}/award"): {"bid", "lot"},
    ("post", "/tenders/{id}/bids"): {"lot"},
    ("post", "/contracts/{id}/allocations"): {"city"},
    ("post", "/contracts/{id}/returns"): {"city"},
    ("post", "/contracts/{id}/moves"): {"city"},
    ("post", "/contracts/{id}/quota-shifts"): {"city"},
    ("post", "/contracts/{id}/changes"): {"city"},
    ("post", "/frameworks/{id}/mini-competitions"): {"city"},
    ("post", "/tenders/external-awards"): {"round"},
}
# Writes that name nobody's resource but the network's (admin only) or the caller's own (a new round, one's
# own notification settings):
# nothing foreign to probe, and sending them would change data.
NO_FOREIGN_WRITES = {
    ("post", "/items"),
    ("patch", "/items/{id}"),
    ("post", "/items/{id}/deactivate"),
    ("post", "/items/{id}/activate"),
    ("post", "/cities"),
    ("patch", "/cities/{id}"),
    ("post", "/cities/{id}/deactivate"),
    ("post", "/cities/{id}/activate"),
    ("post", "/vendors"),
    ("patch", "/vendors/{id}"),
    ("post", "/vendors/{id}/deactivate"),
    ("post", "/vendors/{id}/activate"),
    ("post", "/cost-keys"),
    ("patch", "/cost-keys/{id}"),
    ("post", "/cost-keys/{id}/deactivate"),
    ("post", "/cost-keys/{id}/activate"),
    ("post", "/cost-keys/{id}/split"),
    ("post", "/rounds"),
    ("put", "/me/notifications"),
    ("post", "/invoices"),  # the caller's own upload: whom the invoice names is matched, never taken as given
    ("post", "/invoices/check"),  # the caller's own file, checked and not kept
    ("put", "/network/charge-vat"),  # the network's own setting, the admin's
}
IMPORT = ("post", "/rounds/{id}/imports")  # the caller's own city's demand: sent only into a hidden round
UPLOAD = ("Unterlage.pdf", b"%PDF-1.7\n% Isolationstest\n", "application/pdf")  # any other upload: a document


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # without the /api/v1 prefix
    query: tuple[str, ...]
    multipart: bool = False  # a file upload

    @property
    def writes(self) -> bool:
        return self.method in WRITES

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def path_kinds(self) -> dict[str, str]:
        """Each path parameter and the kind of id it takes."""
        kinds = {}
        for name in re.findall(r"\{(\w+)\}", self.path):
            if name == "id":
                parent = "line_round" if "{line_id}" in self.path else "bid_tender" if "{bid_id}" in self.path else None
                kinds[name] = parent or COLLECTION_KINDS[self.path.split("/")[1]]
            else:
                kinds[name] = {"line_id": "line", "bid_id": "bid", "city_id": "city", "year": "year",
                               "doc_id": "document", "question_id": "question",
                               "complaint_id": "complaint"}[name]  # fmt: skip
        return kinds

    def kinds(self) -> set[str]:
        """Every kind of id this operation names: in its path, its query and its body."""
        found = set(self.path_kinds().values())
        found |= {QUERY_KINDS[name] for name in self.query if name in QUERY_KINDS}
        return found | BODY_KINDS.get((self.method, self.path), set())


def _operations() -> list[Operation]:
    found = []
    for path, methods in SPEC["paths"].items():
        if not path.startswith(API):
            continue
        for method, op in methods.items():
            query = tuple(p["name"] for p in op.get("parameters", []) if p["in"] == "query")
            multipart = "multipart/form-data" in op.get("requestBody", {}).get("content", {})
            found.append(Operation(method, path.removeprefix(API), query, multipart))
    return found


OPERATIONS = _operations()


@dataclass
class World:
    """The resources of someone else, per role, and ids of the same kinds that exist nowhere."""

    foreign: dict[str, dict[str, Any]]  # profile -> kind -> value
    hidden: dict[str, set[str]]  # profile -> kinds it must not see at all
    csv_template: bytes

    def missing(self, profile: str) -> dict[str, Any]:
        values = dict(self.foreign[profile])
        for kind in ("round", "line", "tender", "bid", "contract", "transaction", "lot", "document", "question",
                     "complaint", "framework", "mini_competition", "invoice", "charge"):  # fmt: skip
            values[kind] = MISSING_ID
        values["city"] = MISSING_CITY
        return values


@pytest.fixture(scope="module")
def world(api: ApiFactory) -> World:
    admin, lead = api("network.admin"), api("ettlingen.lead")

    def data(client: httpx.Client, path: str, **params: Any) -> Any:
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    rounds = data(admin, "/rounds", limit=100)["data"]
    open_round = next(r for r in rounds if r["status"] == "open" and r["owner_city_id"] == "ettlingen")
    stutensee_line = data(admin, f"/rounds/{open_round['id']}/lines", city_id="stutensee")["data"][0]
    demo_tender = next(t for t in data(admin, "/tenders", limit=100)["data"] if t["status"] == "awarded")
    contracts = data(admin, "/contracts", tender_id=demo_tender["id"])["data"]
    vpn = next(c for c in contracts if c["vendor_id"] == "rheintal")
    vc = next(c for c in contracts if c["vendor_id"] == "schwarzwald")
    assert not {q["city_id"] for q in vpn["quotas"] + vc["quotas"]} & {OWN_CITY}, "Bühl must have no quota"
    schwarzwald_bid = data(lead, f"/tenders/{demo_tender['id']}/bids", lot_id=vc["lot_id"])["data"][0]
    transaction = data(admin, "/ledger/transactions", city_id="stutensee", limit=1)["data"][0]
    item = data(admin, "/items", limit=1)["data"][0]

    # A draft round, and a draft tender made from a round that Stutensee filled and Ettlingen closed.
    window = {"opens_at": "2026-01-01T00:00:00Z", "closes_at": "2030-01-01T00:00:00Z"}
    draft_round = lead.post("/rounds", json={"title": "Isolation: Entwurf", **window}).json()
    source = lead.post("/rounds", json={"title": "Isolation: Quelle", **window}).json()
    assert lead.post(f"/rounds/{source['id']}/open").status_code == 200
    line = api("stutensee.it").post(f"/rounds/{source['id']}/lines", json={"item_id": vpn["item_id"], "quantity": 3})
    assert line.status_code == 201, line.text
    assert lead.post(f"/rounds/{source['id']}/close").status_code == 200
    created = lead.post("/tenders", json={"round_id": source["id"]})
    assert created.status_code == 201, created.text
    draft_tender = created.json()
    draft_lot = draft_tender["lots"][0]
    document = lead.post(f"/tenders/{draft_tender['id']}/documents", files={"file": UPLOAD})
    assert document.status_code == 201, document.text
    question = _question_of_schwarzwald(api, vpn["item_id"])
    in_standstill = awarded(api, standstill=True)["tender"]  # Bruchsal's: Bühl takes no part
    complaint = lead.post(f"/tenders/{in_standstill['id']}/complaints", json={"received_on": today(), "chamber": "VK"})
    assert complaint.status_code == 201, complaint.text
    # A framework of Bruchsal's with two vendors, Rheintal not among them, and a mini-competition Bruchsal invites.
    framework_contract = awarded(api, vendors=2, bidders=("schwarzwald", "globalmeet"))["contracts"][0]
    framework = framework_contract["framework"]["id"]
    invited = api("bruchsal.it").post(f"/frameworks/{framework}/mini-competitions", json={
        "quantities": [{"city_id": "bruchsal", "quantity": 2}], "description": "Isolation",
        "offers_due_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat(),
    })  # fmt: skip
    assert invited.status_code == 201, invited.text
    invoice = _invoice_to_stutensee(api, vc)
    charge = charged(api, vc, "Isolation: Schulung")["bretten"]["id"]

    common = {
        "item": item["id"],
        "network_city": "stutensee",
        "vendor": "schwarzwald",
        "cost_key": data(admin, "/cost-keys", limit=1)["data"][0]["id"],
        "year": "2026",
        "line_round": open_round["id"],
        "line": stutensee_line["id"],
        "line_version": stutensee_line["version"],
        "bid_tender": demo_tender["id"],
        "bid": schwarzwald_bid["id"],
        "bid_version": schwarzwald_bid["version"],
        "transaction": transaction["id"],
        "city": "stutensee",
        "tender": demo_tender["id"],
        "tender_version": demo_tender["version"],
        "lot": vc["lot_id"],
        "lot_item": vc["item_id"],
        "contract": vpn["id"],
        "document": document.json()["id"],  # of the draft tender
        "question": question,  # Schwarzwald's, on a published tender Bühl takes no part in
        "complaint": complaint.json()["id"],  # against an award in its standstill, which Bühl takes no part in
        "framework": framework,  # Bruchsal's, with Schwarzwald and GlobalMeet
        "mini_competition": invited.json()["id"],
        "invoice": invoice,  # Schwarzwald's, to Stutensee
        "charge": charge,  # Ettlingen's, to Bretten, for its part of a shared cost of a contract Bühl is no party to
    }
    city_world = {**common, "round": open_round["id"], "round_version": open_round["version"]}
    vendor_world = {
        **city_world,
        "tender": draft_tender["id"],
        "tender_version": draft_tender["version"],
        "lot": draft_lot["id"],
        "lot_item": draft_lot["items"][0]["item_id"],
        "contract": vc["id"],
    }
    everything_of_others = {"round", "line", "tender", "bid", "contract", "transaction", "city", "lot", "document",
                            "question", "complaint", "framework", "mini_competition", "invoice", "charge"}  # fmt: skip
    template = admin.get("/rounds/import-template", params={"format": "csv"})
    return World(
        foreign={
            "buehl.it": city_world,
            "buehl.finance": city_world,
            DRAFT_ROUND: {**city_world, "round": draft_round["id"], "round_version": draft_round["version"]},
            LEAD: city_world,
            VENDOR: vendor_world,
        },
        hidden={
            "buehl.it": everything_of_others - {"round"},
            "buehl.finance": everything_of_others - {"round"},
            DRAFT_ROUND: everything_of_others,
            LEAD: set(),  # reads network-wide by design
            VENDOR: everything_of_others,
        },
        csv_template=template.content,
    )


def _invoice_to_stutensee(api: ApiFactory, contract: dict[str, Any]) -> str:
    """An e-invoice Schwarzwald sent to Stutensee's Leitweg-ID (matched or not: whom it concerns is what counts)."""
    stutensee = api("network.admin").get("/cities/stutensee").json()["billing_units"][0]["leitweg_id"]
    line = Line(contract["sku"], contract["name"], 1, contract["unit_price_cents"])
    content = ubl_invoice(number="ISO-1", leitweg_id=stutensee, vat_id="DE143458908", contract=contract["reference"],
                          lines=[line], seller="Schwarzwald Open Hosting eG", buyer="Stutensee")  # fmt: skip
    sent = api("vendor.schwarzwald").post("/invoices", files={"file": ("rechnung.xml", content)})
    assert sent.status_code == 201, sent.text
    return str(sent.json()["id"])


def _question_of_schwarzwald(api: ApiFactory, item_id: str) -> str:
    """A question Schwarzwald asked on a published tender of Ettlingen with Stutensee's demand (unanswered)."""
    lead = api("ettlingen.lead")
    window = {"opens_at": "2026-01-01T00:00:00Z", "closes_at": "2030-01-01T00:00:00Z"}
    round_ = lead.post("/rounds", json={"title": "Isolation: Fragen", **window}).json()
    assert lead.post(f"/rounds/{round_['id']}/open").status_code == 200
    line = api("stutensee.it").post(f"/rounds/{round_['id']}/lines", json={"item_id": item_id, "quantity": 2})
    assert line.status_code == 201, line.text
    assert lead.post(f"/rounds/{round_['id']}/close").status_code == 200
    tender = lead.post("/tenders", json={"round_id": round_["id"]}).json()
    due = {"bids_due_at": "2030-01-01T00:00:00Z", "version": tender["version"]}
    assert lead.patch(f"/tenders/{tender['id']}", json=due).status_code == 200
    assert lead.post(f"/tenders/{tender['id']}/publish").status_code == 200
    asked = api("vendor.schwarzwald").post(f"/tenders/{tender['id']}/questions", json={"question": "Teillieferung?"})
    assert asked.status_code == 201, asked.text
    return str(asked.json()["id"])


def _send(
    client: httpx.Client, op: Operation, values: dict[str, Any], world: World, *, plain: bool = False
) -> httpx.Response:
    path = op.path
    for name, kind in op.path_kinds().items():
        path = path.replace("{" + name + "}", str(values[kind]))
    params = {} if plain else {name: values[QUERY_KINDS[name]] for name in op.query if name in QUERY_KINDS}
    if (op.method, op.path) == IMPORT:
        return client.post(path, files={"file": ("bedarf.csv", world.csv_template, "text/csv")})
    if op.multipart:
        return client.request(op.method, path, params=params, files={"file": UPLOAD})
    body = BODIES.get((op.method, op.path))
    return client.request(op.method, path, params=params, json=body(values) if body else None)


def _without_ids(response: httpx.Response, swap: dict[str, str]) -> Any:
    text = response.text
    for foreign, missing in swap.items():
        text = text.replace(foreign, missing)
    is_json = response.headers.get("content-type", "").startswith(("application/json", PROBLEM))
    return json.loads(text) if is_json else text


def _leaks(document: Any, profile: str) -> list[str]:
    """Another city's id in a city user's answer, or any city's in a vendor's."""
    found: list[str] = []

    def walk(node: Any, key: str | None) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                walk(value, name)
        elif isinstance(node, list):
            for value in node:
                walk(value, key)
        elif isinstance(node, str):
            city = node.removeprefix("city:") if node.startswith("city:") else node if key in CITY_KEYS else None
            if city and (profile == VENDOR or city != OWN_CITY):
                found.append(f"{key}={node}")

    walk(document, None)
    return found


@pytest.fixture(scope="module")
def others_data(api: ApiFactory, world: World) -> Callable[[], list[Any]]:
    """Another city's data, read by the network admin: compared before and after the matrix."""
    admin = api("network.admin")
    values = world.foreign["buehl.it"]
    paths = [
        f"/rounds/{values['line_round']}/lines?limit=500",
        f"/rounds/{values['round']}",
        f"/rounds/{world.foreign[DRAFT_ROUND]['round']}",
        f"/tenders/{values['tender']}",
        f"/tenders/{world.foreign[VENDOR]['tender']}",
        f"/tenders/{values['tender']}/bids",
        f"/contracts/{values['contract']}",
        f"/contracts/{world.foreign[VENDOR]['contract']}",
        f"/contracts/{values['contract']}/utilisation",
        "/ledger/transactions?limit=500&city_id=stutensee",
        "/budgets?year=2026",
    ]

    def snapshot() -> list[Any]:
        answers = [admin.get(path) for path in paths]
        assert [a.status_code for a in answers] == [200] * len(paths), [a.text for a in answers if a.is_error]
        return [a.json() for a in answers]

    return snapshot


@pytest.fixture(scope="module")
def before(others_data: Callable[[], list[Any]]) -> list[Any]:
    return others_data()


def _cases() -> list[Any]:
    cases = []
    for profile in PROFILES:
        for op in OPERATIONS:
            if profile == DRAFT_ROUND and "round" not in op.kinds():
                continue  # the rest is the same as for buehl.it
            cases.append(pytest.param(profile, op, id=f"{profile}: {op.id}"))
    return cases


@pytest.mark.parametrize(("profile", "op"), _cases())
def test_nothing_of_another_city_is_seen_or_changed(
    profile: str, op: Operation, world: World, api: ApiFactory, before: list[Any]
) -> None:
    kinds, hidden = op.kinds(), op.kinds() & world.hidden[profile]
    if (op.writes and not kinds & FOREIGN_KINDS) or ((op.method, op.path) == IMPORT and not hidden):
        assert (op.method, op.path) in NO_FOREIGN_WRITES | {IMPORT}, f"{op.id}: list it or give it a body"
        return  # nothing of someone else to name, and sending it would change data
    client = api(profile.split(",")[0])
    foreign, missing = world.foreign[profile], world.missing(profile)
    answer = _send(client, op, foreign, world)
    assert answer.status_code < 500, answer.text
    if op.writes:
        assert answer.status_code in (403, 404), f"{profile} may change someone else's data: {answer.text}"
    if hidden:
        if hidden - {QUERY_KINDS[name] for name in op.query if name in QUERY_KINDS}:  # a list may filter to nothing
            assert answer.status_code in (403, 404), f"{profile} reached {sorted(hidden)} of others: {answer.text}"
            assert answer.headers["content-type"] == PROBLEM
        unknown = _send(client, op, missing, world)
        swap = {str(foreign[k]): str(missing[k]) for k in kinds if foreign[k] != missing[k]}
        assert (answer.status_code, _without_ids(answer, swap)) == (unknown.status_code, unknown.json()), (
            "an existing resource of someone else is answered differently from a missing one"
        )
    if profile == LEAD:
        return  # reads the network's data by design
    answers = [answer]
    if op.query and not op.writes and not op.path_kinds():
        answers.append(_send(client, op, foreign, world, plain=True))  # the plain list: the caller's own only
    # A round names the tender it became, to everyone who sees the round; the tender itself stays hidden.
    named_by_rounds = {"tender"} if profile != VENDOR else set()
    secrets = {str(foreign[kind]) for kind in world.hidden[profile] - {"city"} - named_by_rounds}
    # A vendor's own invoices name the city it invoiced: its own business, not another's numbers.
    own_business = profile == VENDOR and op.path.startswith("/invoices")
    for response in answers:
        if response.is_success and not op.path.startswith(NETWORK_DATA):
            document = _without_ids(response, {})
            assert own_business or not _leaks(document, profile), f"{profile} sees {_leaks(document, profile)}"
            asked = str(response.request.url) + response.request.content.decode(errors="replace")
            assert not [s for s in secrets if s in response.text and s not in asked], response.text


# What the city profiles must not see (World.hidden), known before the world is built.
CITY_HIDDEN = {"line", "tender", "bid", "contract", "transaction", "lot", "document", "question", "complaint"}


def _own_city_cases() -> list[Any]:
    """Writes that name a city, sent with the caller's own city into someone else's hidden resource (the
    open round itself is not hidden: Bühl's own demand in it is allowed)."""
    return [
        pytest.param(profile, op, id=f"{profile}: {op.id}")
        for profile in ("buehl.it", "buehl.finance")
        for op in OPERATIONS
        if "city" in BODY_KINDS.get((op.method, op.path), set()) and op.kinds() & CITY_HIDDEN
    ]


@pytest.mark.parametrize(("profile", "op"), _own_city_cases())
def test_naming_the_own_city_in_a_hidden_resource_answers_like_a_missing_one(
    profile: str, op: Operation, world: World, api: ApiFactory, before: list[Any]
) -> None:
    """Bühl calls off for Bühl on a contract Bühl has no quota in: the same answer as for no contract at all
    (not a 409 that says the contract exists and Bühl has no quota in it)."""
    assert op.kinds() & CITY_HIDDEN <= world.hidden[profile]
    client = api(profile)
    foreign = {**world.foreign[profile], "city": OWN_CITY}
    missing = {**world.missing(profile), "city": OWN_CITY}
    answer, unknown = _send(client, op, foreign, world), _send(client, op, missing, world)
    assert answer.status_code in (403, 404), answer.text
    swap = {str(foreign[k]): str(missing[k]) for k in op.kinds() if foreign[k] != missing[k]}
    assert (answer.status_code, _without_ids(answer, swap)) == (unknown.status_code, unknown.json())


INTERNAL_RPCS = [
    (service, path.rsplit("/", 1)[1]) for service in SERVICES for path in internal_methods(full_service_name(service))
]


@pytest.mark.parametrize("profile", [LEAD, "ettlingen.lead", "buehl.it", VENDOR, "network.admin"])
@pytest.mark.parametrize(("service", "method"), INTERNAL_RPCS)
def test_no_users_token_reaches_an_internal_method(
    stack: Stack, tokens: TokenSource, world: World, profile: str, service: str, method: str
) -> None:
    """The internal methods have no REST route; straight to the service, a user's token alone, or the user's
    token passed off as a service's, is refused (their own round, someone else's: the same)."""
    full = f"/{full_service_name(service)}/{method}"
    assert {("demand", "BundleRound"), ("demand", "CreatePrefilledRound"), ("contracts", "CreateAwardContracts"),
            ("contracts", "ListAwardContracts")} <= set(INTERNAL_RPCS)  # fmt: skip
    user = tokens(profile)
    with grpc.insecure_channel(stack.address(service)) as channel:
        call = channel.unary_unary(full)
        for metadata, expected in (
            ((("authorization", f"Bearer {user}"),), grpc.StatusCode.PERMISSION_DENIED),
            ((("authorization", f"Bearer {user}"), (SERVICE_TOKEN_METADATA, f"Bearer {user}")),
             grpc.StatusCode.UNAUTHENTICATED),
        ):  # fmt: skip
            with pytest.raises(grpc.RpcError) as caught:
                call(b"", timeout=10, metadata=metadata)
            assert caught.value.code() == expected  # type: ignore[attr-defined]


def test_every_operation_is_in_the_matrix() -> None:
    """New operations join the matrix by themselves; a write only when it has a body here or is listed."""
    writes = {(op.method, op.path) for op in OPERATIONS if op.writes}
    bodiless = {
        (op.method, op.path)
        for op in OPERATIONS
        if op.writes and "requestBody" not in SPEC["paths"][API + op.path][op.method]
    }
    uploads = {(op.method, op.path) for op in OPERATIONS if op.multipart}  # sent with a document (UPLOAD)
    assert writes - bodiless <= set(BODIES) | NO_FOREIGN_WRITES | {IMPORT} | uploads
    assert set(BODIES) | NO_FOREIGN_WRITES <= writes
    assert len(OPERATIONS) >= 70


def test_another_citys_data_is_unchanged_after_the_matrix(
    before: list[Any], others_data: Callable[[], list[Any]]
) -> None:
    assert others_data() == before
