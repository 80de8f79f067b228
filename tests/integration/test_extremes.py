"""Extreme dates, times and integers, sent to every operation of the OpenAPI document and every RPC.

Every date and time a request carries has a documented range (the years 2000 to 2099) and every integer
its bounds: a value beyond them is a clear refusal (a 4xx problem, a gRPC INVALID_ARGUMENT or another
refusal), never a server error. The cases are generated: each query parameter and body field of type
integer, date or date-time (REST), each integer, Timestamp and date-string field of each request
message (gRPC), gets each extreme value in an otherwise plausible request.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import re
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from civicpool.catalog.v1 import catalog_pb2 as catalog
from civicpool.contracts.v1 import contracts_pb2 as contracts
from civicpool.demand.v1 import demand_pb2 as demand
from civicpool.tenders.v1 import tenders_pb2 as tenders
from civicpool_cli.stack import Stack
from civicpool_common import service_identity
from civicpool_common.methods import internal_methods
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from tests.conftest import ApiFactory
from tests.support.openapi import committed_openapi
from tests.support.tenders import BERLIN, awarded, draft_tender, set_bids_due
from tests.support.tokens import TokenSource, service_token

SPEC = committed_openapi()
API = "/api/v1"
DATES = ("9999-12-31", "0001-01-01", "1999-12-31", "2100-01-01")
TIMES = ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "2100-01-01T00:00:00Z")
INTEGERS = (2**63, -(2**63) - 1, 2**31, -1, 10**30)
DATE_STRING_FIELDS = re.compile(r"(_on|^from|^to|needed_by|_date)$")  # dates travel as yyyy-mm-dd strings in protos
USERS = ("network.admin", "ettlingen.lead", "rastatt.finance", "bruchsal.it", "vendor.rheintal")
SERVER_ERRORS = (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DATA_LOSS)


# -- REST -----------------------------------------------------------------------------------------


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _kind(schema: dict[str, Any]) -> str | None:
    """integer, date or date-time for a scalar schema of that type (nullable ones too); None otherwise."""
    schema = _resolved(schema)
    for option in [schema, *schema.get("anyOf", [])]:
        option = _resolved(option)
        if option.get("type") == "integer":
            return "integer"
        if option.get("type") == "string" and option.get("format") in ("date", "date-time"):
            return str(option["format"])
    return None


def _extremes(kind: str) -> tuple[Any, ...]:
    return {"integer": INTEGERS, "date": DATES, "date-time": TIMES}[kind]


Step = str | int  # a property name, or 0 for an array's first element


def _body_fields(schema: dict[str, Any], path: tuple[Step, ...] = ()) -> list[tuple[tuple[Step, ...], str]]:
    """(path, kind) of a request body's integer, date and time fields, in nested objects and arrays too."""
    schema = _resolved(schema)
    kind = _kind(schema)
    if kind is not None:
        return [(path, kind)] if path else []
    if len(path) > 4:  # deep enough for every body we have; no recursion through self-references
        return []
    found = []
    for option in [schema, *(_resolved(o) for o in schema.get("anyOf", []))]:
        for name, sub in (option.get("properties") or {}).items():
            found += _body_fields(sub, (*path, name))
        if option.get("type") == "array" and "items" in option:
            found += _body_fields(option["items"], (*path, 0))
        if isinstance(option.get("additionalProperties"), dict):  # a map by city, such as a split's usage
            found += _body_fields(option["additionalProperties"], (*path, "bruchsal"))
    return found


def _shown(path: tuple[Step, ...]) -> str:
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path).lstrip(".")


def _put(body: dict[str, Any], path: tuple[Step, ...], value: Any) -> dict[str, Any]:
    """The body with `value` at `path`, making the objects and the first array elements that are missing."""
    body = copy.deepcopy(body)
    here: Any = body
    for step, after in itertools.pairwise(path):
        empty: Any = [] if isinstance(after, int) else {}
        if isinstance(step, int):
            if not here:
                here.append(empty)
            if not isinstance(here[0], type(empty)):
                here[0] = empty
            here = here[0]
        else:
            if not isinstance(here.get(step), type(empty)):
                here[step] = empty
            here = here[step]
    last = path[-1]
    if isinstance(last, int):
        here[:1] = [value]
    else:
        here[last] = value
    return body


def _rest_cases() -> list[Any]:
    cases = []
    for path, methods in SPEC["paths"].items():
        if not path.startswith(API):
            continue
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                kind = _kind(parameter.get("schema", {}))
                if kind is not None and parameter["in"] in ("query", "path"):
                    name = parameter["name"]
                    for value in _extremes(kind):
                        shown = f"{method.upper()} {path} {name}={value}"
                        cases.append(pytest.param(method, path, parameter["in"], name, value, id=shown))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            for field, kind in _body_fields(body["schema"]) if body else []:
                for value in _extremes(kind):
                    cases.append(pytest.param(method, path, "body", field, value,
                                              id=f"{method.upper()} {path} body.{_shown(field)}={value}"))  # fmt: skip
    return cases


@pytest.fixture(scope="module")
def real_ids(api: ApiFactory) -> dict[str, str]:
    """Existing resources for the path parameters: the demo's awarded tender, its contract, its bid, ..."""
    admin, lead = api("network.admin"), api("ettlingen.lead")
    tender = lead.get("/tenders", params={"status": "awarded"}).json()["data"][0]
    contract = lead.get("/contracts", params={"tender_id": tender["id"]}).json()["data"][0]
    bid = lead.get(f"/tenders/{tender['id']}/bids").json()["data"][0]
    round_ = admin.get("/rounds", params={"status": "open"}).json()["data"][0]
    line = admin.get(f"/rounds/{round_['id']}/lines").json()["data"][0]
    posting = admin.get("/ledger/transactions", params={"limit": 1}).json()["data"][0]
    document = lead.get(f"/tenders/{tender['id']}/documents").json()["data"][0]
    asked_on = draft_tender(api)  # the demo tender's questions closed with its bids: a question on another one
    set_bids_due(api, asked_on["id"], dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
    assert lead.post(f"/tenders/{asked_on['id']}/publish").status_code == 200
    question = api("vendor.rheintal").post(f"/tenders/{asked_on['id']}/questions", json={"question": "Frage?"})
    assert question.status_code == 201, question.text
    in_standstill = awarded(api, standstill=True)["tender"]
    filed = {"received_on": dt.datetime.now(BERLIN).date().isoformat(), "chamber": "VK"}
    complaint = lead.post(f"/tenders/{in_standstill['id']}/complaints", json=filed)
    assert complaint.status_code == 201, complaint.text
    framework = awarded(api, vendors=2)["contracts"][0]["framework"]["id"]
    invited = api("bruchsal.it").post(f"/frameworks/{framework}/mini-competitions", json={
        "quantities": [{"city_id": "bruchsal", "quantity": 2}],
        "offers_due_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat(),
    })  # fmt: skip
    assert invited.status_code == 201, invited.text
    return {
        "items": admin.get("/items").json()["data"][0]["id"], "cities": "bruchsal", "vendors": "rheintal",
        "cost-keys": "equal", "rounds": round_["id"], "tenders": tender["id"], "contracts": contract["id"],
        "ledger": posting["id"], "line_id": line["id"], "bid_id": bid["id"], "city_id": "rastatt", "year": "2027",
        "doc_id": document["id"], "question_id": question.json()["id"], "complaint_id": complaint.json()["id"],
        "frameworks": framework, "mini-competitions": invited.json()["id"],
    }  # fmt: skip


def _url(path: str, ids: dict[str, str]) -> str:
    collection = path.removeprefix(API).split("/")[1]
    return re.sub(r"\{(\w+)\}", lambda m: ids[collection] if m[1] == "id" else ids[m[1]], path.removeprefix(API))


def _example(method: str, path: str) -> dict[str, Any]:
    body = SPEC["paths"][path][method].get("requestBody", {}).get("content", {}).get("application/json")
    if body is None:
        return {}
    schema = _resolved(body["schema"])
    examples = body.get("examples") or {}
    example = body.get("example") or next((e.get("value") for e in examples.values()), None)
    return copy.deepcopy(example or (schema.get("examples") or [{}])[0])


@pytest.mark.parametrize(("method", "path", "where", "name", "value"), _rest_cases())
def test_extreme_values_through_the_api_are_refused_clearly(
    api: ApiFactory, real_ids: dict[str, str], method: str, path: str, where: str, name: Any, value: Any
) -> None:
    url, ids = _url(path, real_ids), real_ids
    if where == "path":
        url = _url(path, {**ids, name: str(value)})
    params = {name: str(value)} if where == "query" else {}
    body = _example(method, path) if method in ("post", "put", "patch") else None
    if where == "body":
        body = _put(body or {}, name, value)
    for user in ("network.admin", "ettlingen.lead", "rastatt.finance"):
        answer = api(user).request(method, url, params=params, json=body)
        assert answer.status_code < 500, (user, answer.text)
        if answer.status_code >= 400:
            assert answer.headers["content-type"] == "application/problem+json", answer.text


def test_the_cases_cover_every_kind_of_field() -> None:
    names = {(case.values[1], case.values[3]) for case in _rest_cases()}
    assert ("/api/v1/reports/statement", "to") in names
    assert ("/api/v1/tenders/{id}/award", ("starts_on",)) in names
    assert ("/api/v1/rounds", ("opens_at",)) in names
    assert ("/api/v1/tenders/{id}/bids", ("prices", 0, "unit_price_cents")) in names  # inside an array
    assert len(names) >= 40


def test_the_dates_the_attack_found_are_refused_as_invalid(api: ApiFactory, real_ids: dict[str, str]) -> None:
    statement = api("rastatt.finance").get("/reports/statement", params={"to": "9999-12-31"})
    assert statement.status_code == 422 and "2000 and 2099" in statement.text
    award = api("ettlingen.lead").post(f"/tenders/{real_ids['tenders']}/award",
                                       json={"awards": [], "starts_on": "9999-01-01"})  # fmt: skip
    assert award.status_code == 422 and "2000 and 2099" in award.text


# -- gRPC -----------------------------------------------------------------------------------------

INT_TYPES = {
    FieldDescriptor.TYPE_INT32: (2**31 - 1, -(2**31)),
    FieldDescriptor.TYPE_INT64: (2**63 - 1, -(2**63)),
    FieldDescriptor.TYPE_UINT32: (2**32 - 1,),
    FieldDescriptor.TYPE_UINT64: (2**64 - 1,),
}
TIMESTAMPS = (253_402_300_799, -62_135_596_800, 10**13, -(10**13))  # 9999-12-31, year 1, beyond both


def _extreme_fields(
    message: Descriptor, path: tuple[str, ...] = (), depth: int = 0
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(field path, value) for every integer, Timestamp and date-string field, nested, repeated and mapped too.

    A path step "name[]" is the first element of a repeated field, "name{bruchsal}" a map's entry.
    """
    for item in message.fields:
        entry = item.message_type
        if entry is not None and entry.GetOptions().map_entry:  # a map: its value under one city's key
            item, here = entry.fields_by_name["value"], (*path, f"{item.name}{{bruchsal}}")
        else:
            here = (*path, f"{item.name}[]" if item.is_repeated else item.name)
        if item.type in INT_TYPES:
            for value in INT_TYPES[item.type]:
                yield here, value
        elif item.message_type is not None and item.message_type.full_name == "google.protobuf.Timestamp":
            for seconds in TIMESTAMPS:
                yield here, ("timestamp", seconds)
        elif item.type == FieldDescriptor.TYPE_STRING and DATE_STRING_FIELDS.search(item.name):
            for text in DATES:
                yield here, text
        elif item.message_type is not None and not item.message_type.full_name.startswith("google.") and depth < 3:
            yield from _extreme_fields(item.message_type, here, depth + 1)


def _set(request: Message, path: tuple[str, ...], value: Any) -> None:
    """Set `value` at `path` (see _extreme_fields), adding the repeated element or map entry on the way."""
    target: Any = request
    for step in path[:-1]:
        name, _, rest = step.partition("[")
        name, _, key = name.partition("{")
        if key:
            target = getattr(target, name)[key.rstrip("}")]
        elif rest:
            target = getattr(target, name).add()
        else:
            target = getattr(target, name)
    last = path[-1]
    name, _, key = last.partition("{")
    if key:
        getattr(target, name)[key.rstrip("}")] = value
    elif last.endswith("[]"):
        field = getattr(target, last.removesuffix("[]"))
        if isinstance(value, tuple):
            field.add(seconds=value[1])
        else:
            field.append(value)
    elif isinstance(value, tuple):
        getattr(target, last).seconds = value[1]
    else:
        setattr(target, last, value)


def _grpc_cases() -> list[Any]:
    cases = []
    modules = (("catalog", catalog), ("demand", demand), ("tenders", tenders), ("contracts", contracts))
    for service_name, module in modules:
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                for path, value in _extreme_fields(method.input_type):
                    shown = value[1] if isinstance(value, tuple) else value
                    cases.append(pytest.param(service_name, service.full_name, method, path, value,
                                              id=f"{method.name} {'.'.join(path)}={shown}"))  # fmt: skip
    return cases


@pytest.fixture(scope="module")
def channels(stack: Stack) -> Iterator[dict[str, grpc.Channel]]:
    opened = {name: grpc.insecure_channel(stack.address(name)) for name in service_identity.SERVICES}
    yield opened
    for channel in opened.values():
        channel.close()


@pytest.fixture(scope="module")
def service_tokens(stack: Stack) -> dict[str, str]:
    return {name: service_token(stack, name) for name in service_identity.IDENTITIES}


@pytest.mark.parametrize(("service", "full_name", "method", "path", "value"), _grpc_cases())
def test_extreme_values_straight_to_the_services_are_refused_not_failed(
    channels: dict[str, grpc.Channel], tokens: TokenSource, service_tokens: dict[str, str], real_ids: dict[str, str],
    service: str, full_name: str, method: Any, path: tuple[str, ...], value: Any,
) -> None:  # fmt: skip
    from google.protobuf import message_factory

    request_type = message_factory.GetMessageClass(method.input_type)
    response_type = message_factory.GetMessageClass(method.output_type)
    request = request_type()
    aims = {"id": real_ids["tenders" if service == "tenders" else "contracts"], "contract_id": real_ids["contracts"],
            "tender_id": real_ids["tenders"], "round_id": real_ids["rounds"]}  # fmt: skip
    for field, real in aims.items():  # aim at real records where the request names one
        if field in method.input_type.fields_by_name:
            setattr(request, field, real)
    _set(request, path, value)
    serializers = {"request_serializer": request_type.SerializeToString,
                   "response_deserializer": response_type.FromString}  # fmt: skip
    if method.server_streaming:  # its first answer is enough (a feed goes on for as long as it is read)
        stream = channels[service].unary_stream(f"/{full_name}/{method.name}", **serializers)

        def call(request: Message, timeout: float, metadata: Any) -> None:
            answers = stream(request, timeout=timeout, metadata=metadata)
            next(answers)
            answers.cancel()
    else:
        call = channels[service].unary_unary(f"/{full_name}/{method.name}", **serializers)
    callers = {user: (("authorization", f"Bearer {tokens(user)}"),) for user in USERS}
    callers_named = internal_methods(full_name).get(f"/{full_name}/{method.name}")
    caller = callers_named.split(",")[0] if callers_named else None
    if caller is not None:  # an internal method: its service's own calls too, with a lead's token and without
        own = (service_identity.SERVICE_TOKEN_METADATA, f"Bearer {service_tokens[caller]}")
        callers |= {
            f"the {caller} service": (own,),
            f"the {caller} service for a lead": (*callers["ettlingen.lead"], own),
        }
    codes = {}
    for who, metadata in callers.items():
        try:
            call(request, timeout=10, metadata=metadata)
            codes[who] = grpc.StatusCode.OK
        except grpc.RpcError as error:
            codes[who] = error.code()  # type: ignore[attr-defined]
    assert not {who: code for who, code in codes.items() if code in SERVER_ERRORS}


def test_every_rpc_with_such_a_field_is_probed() -> None:
    methods = {case.values[2].name for case in _grpc_cases()}
    assert {"AwardTender", "GetStatement", "CreateRound", "CallOff", "SetBudget", "UpdateTender",
            "CreateAwardContracts"} <= methods  # fmt: skip
    paths = {".".join(case.values[3]) for case in _grpc_cases()}
    assert {"items[].unit_price_cents", "lines[].quantity", "rows[].needed_by"} <= paths  # repeated fields too
    assert any("{bruchsal}" in path for path in paths)  # and maps
    assert len(_grpc_cases()) >= 250
