"""The services themselves, called over gRPC without the gateway: defence in depth."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import grpc
import jwt
import pytest
from civicpool.catalog.v1 import catalog_pb2 as catalog
from civicpool.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from civicpool.common.v1.paging_pb2 import PageRequest
from civicpool.contracts.v1 import contracts_pb2 as contracts
from civicpool.contracts.v1.contracts_pb2_grpc import ContractsServiceStub
from civicpool.demand.v1 import demand_pb2 as demand
from civicpool.demand.v1.demand_pb2_grpc import DemandServiceStub
from civicpool.notifications.v1 import notifications_pb2 as notifications
from civicpool.tenders.v1 import tenders_pb2 as tenders
from civicpool_cli.stack import Stack
from civicpool_common import service_identity
from civicpool_common.errors import from_rpc_error
from civicpool_common.methods import internal_methods
from civicpool_common.paging import MAX_LIMIT
from cryptography.hazmat.primitives.asymmetric import rsa
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.support.tokens import TokenSource, service_token

DEADLINE = 5.0
LAPTOP = catalog.Item(sku="GRPC-1", name="x", kind=catalog.ITEM_KIND_HARDWARE, cpv_code="30213100-6", unit="St")


@pytest.fixture(scope="module")
def channels(stack: Stack) -> Iterator[dict[str, grpc.Channel]]:
    opened = {name: grpc.insecure_channel(stack.address(name)) for name in service_identity.SERVICES}
    yield opened
    for channel in opened.values():
        channel.close()


def _bearer(token: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {token}"),)


def _code(call: Any) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    code: grpc.StatusCode = caught.value.code()  # type: ignore[attr-defined]
    return code


def test_a_call_without_a_token_is_unauthenticated(channels: dict[str, grpc.Channel]) -> None:
    stub = CatalogServiceStub(channels["catalog"])
    assert (
        _code(lambda: stub.ListItems(catalog.ListItemsRequest(), timeout=DEADLINE)) == grpc.StatusCode.UNAUTHENTICATED
    )


def test_a_bare_identity_is_not_trusted(channels: dict[str, grpc.Channel]) -> None:
    stub = CatalogServiceStub(channels["catalog"])
    metadata = (("authorization", "Bearer not-a-token"), ("x-user", "network.admin"), ("x-roles", "network-admin"))
    call = lambda: stub.CreateItem(catalog.CreateItemRequest(item=LAPTOP), timeout=DEADLINE, metadata=metadata)  # noqa: E731
    assert _code(call) == grpc.StatusCode.UNAUTHENTICATED


def test_the_service_checks_the_role_itself(channels: dict[str, grpc.Channel], tokens: TokenSource) -> None:
    stub = CatalogServiceStub(channels["catalog"])
    request = catalog.CreateItemRequest(item=LAPTOP)
    with pytest.raises(grpc.RpcError) as caught:
        stub.CreateItem(request, timeout=DEADLINE, metadata=_bearer(tokens("bruchsal.it")))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]


def test_validation_errors_carry_field_violations(channels: dict[str, grpc.Channel], tokens: TokenSource) -> None:
    stub = CatalogServiceStub(channels["catalog"])
    bad = catalog.Item(sku="GRPC-2", name="x", kind=catalog.ITEM_KIND_HARDWARE, cpv_code="30213100-1", unit="St")
    channel = grpc.aio  # the decoder reads aio errors; build one from the sync error's parts
    with pytest.raises(grpc.RpcError) as caught:
        stub.CreateItem(
            catalog.CreateItemRequest(item=bad), timeout=DEADLINE, metadata=_bearer(tokens("network.admin"))
        )
    error = caught.value
    remote = from_rpc_error(
        channel.AioRpcError(error.code(), channel.Metadata(), channel.Metadata(*error.trailing_metadata()))  # type: ignore[attr-defined]
    )
    assert remote.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in remote.violations] == ["cpv_code"]


def test_a_lead_creates_a_round_for_the_own_city_and_city_it_may_not(
    channels: dict[str, grpc.Channel], tokens: TokenSource
) -> None:
    stub = DemandServiceStub(channels["demand"])
    opens, closes = Timestamp(), Timestamp()
    opens.FromDatetime(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    closes.FromDatetime(dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
    request = demand.CreateRoundRequest(round=demand.Round(title="Notebooks 2027", opens_at=opens, closes_at=closes))
    created = stub.CreateRound(request, timeout=DEADLINE, metadata=_bearer(tokens("ettlingen.lead")))
    assert (created.owner_city_id, created.status, created.created_by) == (
        "ettlingen",
        demand.ROUND_STATUS_DRAFT,
        "ettlingen.lead",
    )
    with pytest.raises(grpc.RpcError) as caught:
        stub.CreateRound(request, timeout=DEADLINE, metadata=_bearer(tokens("bruchsal.it")))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]
    every = demand.ListRoundsRequest(page=PageRequest(limit=MAX_LIMIT))  # other tests add rounds too
    listed = stub.ListRounds(every, timeout=DEADLINE, metadata=_bearer(tokens("rastatt.lead")))
    assert created.id in [r.id for r in listed.rounds]
    listed = stub.ListRounds(every, timeout=DEADLINE, metadata=_bearer(tokens("bruchsal.it")))
    assert created.id not in [r.id for r in listed.rounds]  # drafts are the leads' business


@pytest.mark.parametrize("service", ["catalog", "demand", "tenders", "contracts"])
def test_health_answers_without_a_token(channels: dict[str, grpc.Channel], service: str) -> None:
    stub: Any = health_pb2_grpc.HealthStub(channels[service])
    assert (
        stub.Check(health_pb2.HealthCheckRequest(), timeout=DEADLINE).status == health_pb2.HealthCheckResponse.SERVING
    )


@pytest.mark.parametrize(
    ("service", "name"),
    [("catalog", "civicpool.catalog.v1.CatalogService"), ("demand", "civicpool.demand.v1.DemandService"),
     ("tenders", "civicpool.tenders.v1.TendersService"), ("contracts", "civicpool.contracts.v1.ContractsService")],
)  # fmt: skip
def test_reflection_lists_the_service(channels: dict[str, grpc.Channel], service: str, name: str) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channels[service])
    replies = stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=DEADLINE
    )
    names = {s.name for reply in replies for s in reply.list_services_response.service}
    assert {name, "grpc.health.v1.Health"} <= names


def test_batch_get_returns_the_known_items_and_refuses_too_many_ids(
    channels: dict[str, grpc.Channel], tokens: TokenSource
) -> None:
    stub = CatalogServiceStub(channels["catalog"])
    metadata = _bearer(tokens("bruchsal.it"))
    listed = stub.ListItems(catalog.ListItemsRequest(), timeout=DEADLINE, metadata=metadata).items
    ids = [item.id for item in listed[:3]]
    found = stub.BatchGetItems(catalog.BatchGetItemsRequest(ids=[*ids, "unknown"]), timeout=DEADLINE, metadata=metadata)
    assert sorted(item.id for item in found.items) == sorted(ids)
    too_many = catalog.BatchGetItemsRequest(ids=[f"id-{n}" for n in range(501)])
    with pytest.raises(grpc.RpcError) as caught:
        stub.BatchGetItems(too_many, timeout=DEADLINE, metadata=metadata)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]


def test_a_time_beyond_the_calendar_is_invalid_not_internal(
    channels: dict[str, grpc.Channel], tokens: TokenSource
) -> None:
    stub = DemandServiceStub(channels["demand"])
    far = demand.Round(title="Far", opens_at=Timestamp(seconds=1), closes_at=Timestamp(seconds=10**13))
    with pytest.raises(grpc.RpcError) as caught:
        stub.CreateRound(
            demand.CreateRoundRequest(round=far), timeout=DEADLINE, metadata=_bearer(tokens("ettlingen.lead"))
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]


def _every_rpc() -> list[tuple[str, str]]:
    """(service, /package.Service/Method) for every method the services declare."""
    declared = {
        "catalog": catalog.DESCRIPTOR,
        "demand": demand.DESCRIPTOR,
        "tenders": tenders.DESCRIPTOR,
        "contracts": contracts.DESCRIPTOR,
        "notifications": notifications.DESCRIPTOR,
    }
    return [(name, f"/{service.full_name}/{method.name}")
            for name, file in declared.items() for service in file.services_by_name.values()
            for method in service.methods]  # fmt: skip


def _forged_token(real: str) -> str:
    """The real token's claims and key id, signed by someone else."""
    claims = jwt.decode(real, options={"verify_signature": False})
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, attacker, algorithm="RS256", headers={"kid": jwt.get_unverified_header(real)["kid"]})


@pytest.fixture(scope="module")
def forged(tokens: TokenSource) -> str:
    return _forged_token(tokens("network.admin"))


@pytest.mark.parametrize(("service", "path"), _every_rpc())
def test_every_rpc_refuses_a_missing_or_forged_token(
    channels: dict[str, grpc.Channel], forged: str, service: str, path: str
) -> None:
    """Each service verifies the forwarded token itself: no call reaches a servicer on a gateway's say-so.

    An internal method checks for its calling service's token first: without one it is refused outright."""
    call = channels[service].unary_unary(path)  # raw bytes: an empty request is valid for every message type
    internal = path in internal_methods(path.split("/")[1])
    expected = grpc.StatusCode.PERMISSION_DENIED if internal else grpc.StatusCode.UNAUTHENTICATED
    for metadata in ((), _bearer(forged), (("authorization", f"Basic {forged}"),)):
        code = _code(lambda metadata=metadata: call(b"", timeout=DEADLINE, metadata=metadata))
        assert code == expected, (path, metadata[:1])


def test_the_token_matrix_covers_every_service() -> None:
    per_service = {name: sum(1 for service, _ in _every_rpc() if service == name) for name in service_identity.SERVICES}
    assert set(per_service) == {"catalog", "demand", "tenders", "contracts", "notifications"}
    assert per_service.pop("notifications") >= 3, per_service  # Notify and a user's preferences
    assert all(count >= 10 for count in per_service.values()), per_service


@pytest.fixture(scope="module")
def stutensee(channels: dict[str, grpc.Channel], tokens: TokenSource) -> dict[str, str]:
    """Stutensee's demand line in the open demo round, and the VPN contract Bühl has no quota in."""
    admin = _bearer(tokens("network.admin"))
    rounds = DemandServiceStub(channels["demand"]).ListRounds(
        demand.ListRoundsRequest(), timeout=DEADLINE, metadata=admin
    )
    open_round = next(
        r for r in rounds.rounds if r.status == demand.ROUND_STATUS_OPEN and r.owner_city_id == "ettlingen"
    )
    lines = DemandServiceStub(channels["demand"]).ListLines(
        demand.ListLinesRequest(round_id=open_round.id, city_id="stutensee"), timeout=DEADLINE, metadata=admin
    )
    listed = ContractsServiceStub(channels["contracts"]).ListContracts(
        contracts.ListContractsRequest(city_id="stutensee"), timeout=DEADLINE, metadata=admin
    )
    contract = next(c for c in listed.contracts if c.vendor_id == "rheintal")
    return {"round": open_round.id, "line": lines.lines[0].id, "item": lines.lines[0].item_id, "contract": contract.id}


YEAR = {"from": "2026-01-01", "to": "2026-12-31"}


def _foreign_calls(ids: dict[str, str]) -> list[tuple[str, str, str, Any, grpc.StatusCode]]:
    """(user, service, method, request, the code it must get): Bühl's people and a vendor asking about Stutensee."""
    denied, missing = grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND
    stutensee_line = demand.Line(round_id=ids["round"], city_id="stutensee", item_id=ids["item"], quantity=1)
    return [
        ("buehl.it", "demand", "CreateLine", demand.CreateLineRequest(line=stutensee_line), denied),
        ("buehl.it", "demand", "GetLine", demand.GetLineRequest(round_id=ids["round"], id=ids["line"]), missing),
        ("buehl.it", "demand", "ListLines",
         demand.ListLinesRequest(round_id=ids["round"], city_id="stutensee"), denied),
        ("vendor.rheintal", "demand", "ListLines", demand.ListLinesRequest(round_id=ids["round"]), denied),
        # The gateway refuses these by role already; the services must refuse them by themselves too.
        ("buehl.finance", "demand", "CreateLine", demand.CreateLineRequest(line=stutensee_line), denied),
        ("buehl.lead", "demand", "CloseRound", demand.RoundTransitionRequest(id=ids["round"]), denied),
        ("buehl.it", "demand", "CloseRound", demand.RoundTransitionRequest(id=ids["round"]), denied),
        ("buehl.lead", "contracts", "ShiftQuota", contracts.ShiftQuotaRequest(
            contract_id=ids["contract"], from_city_id="stutensee", to_city_id="buehl", quantity=1, reason="x"), denied),
        ("buehl.it", "contracts", "ShareCost",  # a contract Bühl has no quota in: hidden, as if missing
         contracts.ShareCostRequest(contract_id=ids["contract"], amount_cents=100, memo="x"), missing),
        ("buehl.it", "contracts", "CallOff",
         contracts.CallOffRequest(contract_id=ids["contract"], city_id="buehl", quantity=1), missing),
        ("buehl.it", "contracts", "GetContract", contracts.GetContractRequest(id=ids["contract"]), missing),
        ("buehl.it", "contracts", "CallOff",
         contracts.CallOffRequest(contract_id=ids["contract"], city_id="stutensee", quantity=1), denied),
        ("buehl.finance", "contracts", "GetStatement", contracts.StatementRequest(city_id="stutensee", **YEAR), denied),
        ("buehl.finance", "contracts", "ListLedgerTransactions",
         contracts.ListLedgerTransactionsRequest(city_id="stutensee"), denied),
        ("buehl.finance", "contracts", "SetBudget",
         contracts.SetBudgetRequest(city_id="stutensee", year=2026, amount_cents=1), denied),
        ("vendor.rheintal", "contracts", "GetStatement",
         contracts.StatementRequest(city_id="stutensee", **YEAR), denied),
    ]  # fmt: skip


def test_a_token_of_another_city_is_refused_by_the_service_itself(
    channels: dict[str, grpc.Channel], tokens: TokenSource, stutensee: dict[str, str]
) -> None:
    """Real tokens, straight to the services: Bühl's users and a vendor get nothing of Stutensee's."""
    stubs = {"demand": DemandServiceStub(channels["demand"]), "contracts": ContractsServiceStub(channels["contracts"])}
    for user, service, method, request, expected in _foreign_calls(stutensee):
        call, metadata = getattr(stubs[service], method), _bearer(tokens(user))
        code = _code(lambda c=call, r=request, m=metadata: c(r, timeout=DEADLINE, metadata=m))
        assert code == expected, (user, method)


# -- service identity: internal methods ----------------------------------------------------------


def _callers(path: str) -> set[str]:
    """The services that may call an internal method (its option names one, or several with commas)."""
    return set(internal_methods(path.split("/")[1]).get(path, "").split(",")) - {""}


def _internal_rpcs() -> list[tuple[str, str, str]]:
    """(service, /package.Service/Method, a service that may call it): every internal method, once per caller."""
    return [(name, path, caller) for name, path in _every_rpc() for caller in sorted(_callers(path))]


def _service_header(token: str) -> tuple[str, str]:
    return (service_identity.SERVICE_TOKEN_METADATA, f"Bearer {token}")


@pytest.fixture(scope="module")
def service_tokens(stack: Stack) -> dict[str, str]:
    return {service: service_token(stack, service) for service in service_identity.IDENTITIES}


def test_the_internal_methods_are_bundling_prefilled_rounds_the_award_contracts_and_notify() -> None:
    assert {(path, caller) for _, path, caller in _internal_rpcs()} == {
        ("/civicpool.demand.v1.DemandService/BundleRound", "tenders"),
        ("/civicpool.demand.v1.DemandService/CreatePrefilledRound", "contracts"),
        ("/civicpool.contracts.v1.ContractsService/CreateAwardContracts", "tenders"),
        ("/civicpool.contracts.v1.ContractsService/ListAwardContracts", "tenders"),
        ("/civicpool.notifications.v1.NotificationsService/Notify", "demand"),
        ("/civicpool.notifications.v1.NotificationsService/Notify", "tenders"),
        ("/civicpool.notifications.v1.NotificationsService/Notify", "contracts"),
        *(
            ("/civicpool.catalog.v1.CatalogService/WatchCatalog", reader)
            for reader in ("gateway", "demand", "tenders", "contracts")
        ),
    }


# Internal methods that act for the lead whose request the calling service serves: they need the lead's token too.
ON_A_LEADS_BEHALF = {
    "/civicpool.demand.v1.DemandService/BundleRound",
    "/civicpool.demand.v1.DemandService/CreatePrefilledRound",
}
# Internal reads whose empty request is valid: they answer that nothing is there.
A_READ_OF_NOTHING = {"/civicpool.contracts.v1.ContractsService/ListAwardContracts"}
# The catalog's feed: from revision 0 (an empty request) it starts with a snapshot.
A_FEED = {"/civicpool.catalog.v1.CatalogService/WatchCatalog"}


def _first_answer(channel: grpc.Channel, path: str, metadata: Any) -> bytes:
    """A server stream's first message (then hung up), or a unary call's answer."""
    if path not in A_FEED:
        return bytes(channel.unary_unary(path)(b"", timeout=DEADLINE, metadata=metadata))
    answers = channel.unary_stream(path)(b"", timeout=DEADLINE, metadata=metadata)
    try:
        return bytes(next(answers))
    finally:
        answers.cancel()


@pytest.mark.parametrize(("service", "path", "caller"), _internal_rpcs())
def test_an_internal_method_refuses_every_caller_but_its_service(
    channels: dict[str, grpc.Channel], tokens: TokenSource, service_tokens: dict[str, str],
    service: str, path: str, caller: str,
) -> None:  # fmt: skip
    """Whatever user token comes with it: only the expected service's own, real token gets a call through.

    The service may call with its own token alone (work that outlives a user's request), or with a user's token too.
    """

    def call(request: bytes, timeout: float, metadata: Any) -> bytes:  # as a gRPC call is called
        return _first_answer(channels[service], path, metadata)

    user = _bearer(tokens("ettlingen.lead"))  # a lead who may start renewals and tenders through the API
    own = _service_header(service_tokens[caller])
    others = [s for s in service_identity.IDENTITIES if s not in _callers(path)]
    refused = {
        "no token at all": ((), grpc.StatusCode.PERMISSION_DENIED),
        "a user token alone": (user, grpc.StatusCode.PERMISSION_DENIED),
        **{f"the {other} service's token": ((*user, _service_header(service_tokens[other])),
                                            grpc.StatusCode.PERMISSION_DENIED) for other in others},
        **{f"the {other} service's token alone": ((_service_header(service_tokens[other]),),
                                                  grpc.StatusCode.PERMISSION_DENIED) for other in others},
        "a forged service token": ((*user, _service_header(_forged_token(service_tokens[caller]))),
                                   grpc.StatusCode.UNAUTHENTICATED),
        "a forged service token alone": ((_service_header(_forged_token(service_tokens[caller])),),
                                         grpc.StatusCode.UNAUTHENTICATED),
        "the service token as the user's": (_bearer(service_tokens[caller]), grpc.StatusCode.PERMISSION_DENIED),
        "the service token as the user's too": ((*_bearer(service_tokens[caller]), own),
                                                grpc.StatusCode.UNAUTHENTICATED),
        "a forged user token with the service token": ((*_bearer(_forged_token(tokens("ettlingen.lead"))), own),
                                                       grpc.StatusCode.UNAUTHENTICATED),
        "a user token as the service token": ((*user, _service_header(tokens("network.admin"))),
                                              grpc.StatusCode.UNAUTHENTICATED),
    }  # fmt: skip
    for what, (metadata, expected) in refused.items():
        assert _code(lambda m=metadata: call(b"", timeout=DEADLINE, metadata=m)) == expected, what
    for what, allowed in {"with a user": (*user, own), "on its own": (own,)}.items():
        try:
            reply = call(b"", timeout=DEADLINE, metadata=allowed)
        except grpc.RpcError as error:
            code, details = error.code(), error.details()  # type: ignore[attr-defined]
        else:
            code, details = grpc.StatusCode.OK, ""
            assert reply == b"" or path in A_FEED, what  # nothing named, nothing found
        if what == "on its own" and path in ON_A_LEADS_BEHALF:
            # Through the gate, but without a lead whose rights it could use.
            assert code == grpc.StatusCode.PERMISSION_DENIED and "is internal" not in details, (what, details)
        elif path in A_READ_OF_NOTHING:
            assert code == grpc.StatusCode.OK, (what, details)
        elif path in A_FEED:
            event = catalog.CatalogEvent.FromString(reply)
            assert code == grpc.StatusCode.OK and event.reset and event.cities, (what, details)  # a snapshot
        else:  # an empty request: refused for its content
            assert code == grpc.StatusCode.INVALID_ARGUMENT, (what, details)


@pytest.mark.parametrize("user", ["buehl.it", "buehl.finance", "buehl.lead", "ettlingen.lead", "network.admin",
                                  "vendor.rheintal"])  # fmt: skip
def test_no_user_token_reaches_an_internal_method(
    channels: dict[str, grpc.Channel], tokens: TokenSource, stutensee: dict[str, str], user: str
) -> None:
    """Demand for invented cities, a round bundled into an invented tender, contracts for an invented award:
    what the API never offers."""
    stub = DemandServiceStub(channels["demand"])
    contracts_stub = ContractsServiceStub(channels["contracts"])
    invented = "01a219d6-0000-7000-8000-00000000dead"
    opens, closes = Timestamp(), Timestamp()
    opens.FromDatetime(dt.datetime.now(dt.UTC))
    closes.FromDatetime(dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
    prefilled = demand.CreatePrefilledRoundRequest(
        round=demand.Round(title="Untergeschoben", opens_at=opens, closes_at=closes),
        lines=[demand.PrefilledLine(city_id=city, item_id=stutensee["item"], quantity=500, justification="x")
               for city in ("stutensee", "atlantis", "Buehl")],
    )  # fmt: skip
    bundle = demand.RoundTransitionRequest(id=stutensee["round"], tender_id=invented)
    award = contracts.CreateAwardContractsRequest(
        tender_id=invented, lead_city_id="buehl", awarded_by=user, starts_on="2027-01-01", ends_on="2027-12-31",
        items=[contracts.AwardedItem(contract_id="01a219d6-0000-7000-8000-0000000beef0", lot_id="x", bid_id="x",
                                     vendor_id="rheintal", item_id=stutensee["item"], sku="X", name="x", unit="St",
                                     kind="software", unit_price_cents=1, ceiling_quantity=500,
                                     quotas=[contracts.CityShare(city_id="buehl", quantity=500)])],
    )  # fmt: skip
    metadata = _bearer(tokens(user))
    for call, request in (
        (stub.CreatePrefilledRound, prefilled),
        (stub.BundleRound, bundle),
        (contracts_stub.CreateAwardContracts, award),
        (contracts_stub.ListAwardContracts, contracts.ListAwardContractsRequest(tender_id=invented)),
    ):
        code = _code(lambda c=call, r=request: c(r, timeout=DEADLINE, metadata=metadata))
        assert code == grpc.StatusCode.PERMISSION_DENIED, (user, request.DESCRIPTOR.name)
    round_now = stub.GetRound(demand.GetRoundRequest(id=stutensee["round"]), timeout=DEADLINE, metadata=metadata
                              if user != "vendor.rheintal" else _bearer(tokens("network.admin")))  # fmt: skip
    assert (round_now.status, round_now.tender_id) == (demand.ROUND_STATUS_OPEN, "")
    admin = _bearer(tokens("network.admin"))
    created = contracts_stub.ListContracts(contracts.ListContractsRequest(tender_id=invented), timeout=DEADLINE,
                                           metadata=admin)  # fmt: skip
    assert list(created.contracts) == []
