"""The gateway's typed clients: the caller's token and the deadline on every call, failures as problems,
a stale If-Match as 412; and no request class or stub method looked up by name anywhere in the gateway."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path
from typing import Any

import grpc
import pytest
from civicpool.catalog.v1 import catalog_pb2 as pb
from civicpool_common import observability
from civicpool_common.catalog_replica import REVISION_METADATA
from civicpool_common.errors import NotFound, VersionConflict, to_grpc_status
from civicpool_common.reasons import REASONS
from civicpool_common.timestamps import to_timestamp
from civicpool_gateway.catalog_schemas import ItemPatch
from civicpool_gateway.clients.catalog import CatalogClient
from civicpool_gateway.problems import Problem
from civicpool_gateway.versioning import NO_CHECK, ExpectedVersion
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message

GATEWAY = Path(__file__).resolve().parents[2] / "gateway" / "src" / "civicpool_gateway"
NOW = to_timestamp(dt.datetime(2027, 1, 15, 12, tzinfo=dt.UTC))
ITEM = pb.Item(id="i1", sku="LAPTOP-14", name="Notebook", kind=pb.ITEM_KIND_HARDWARE, version=4,
               created_at=NOW, updated_at=NOW)  # fmt: skip


class FakeCall:
    """What a stub method returns: awaited, the reply (or the error); then its trailing metadata."""

    def __init__(self, reply: Message | None, error: Exception | None, trailers: tuple[tuple[str, str], ...]) -> None:
        self.reply, self.error, self.trailers = reply, error, trailers

    def __await__(self) -> Any:
        return self._answer().__await__()

    async def _answer(self) -> Message | None:
        if self.error is not None:
            raise self.error
        return self.reply

    async def trailing_metadata(self) -> tuple[tuple[str, str], ...]:
        return self.trailers


class FakeRpc:
    """A stub method: records each call, answers `reply` (with `trailers`) or raises `error`."""

    def __init__(
        self, reply: Message | None = None, error: Exception | None = None, trailers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        self.reply, self.error, self.trailers = reply, error, trailers
        self.calls: list[tuple[Message, float, tuple[tuple[str, str], ...]]] = []

    def __call__(
        self,
        request: Message,
        *,
        timeout: float,
        metadata: tuple[tuple[str, str], ...],
    ) -> FakeCall:
        self.calls.append((request, timeout, metadata))
        return FakeCall(self.reply, self.error, self.trailers)


class FakeStub:
    def __init__(self, **methods: FakeRpc) -> None:
        self.__dict__.update(methods)


def catalog_client(**methods: FakeRpc) -> CatalogClient:
    client = CatalogClient(grpc.aio.insecure_channel("127.0.0.1:9"), deadline_seconds=2.5)
    client._stub = FakeStub(**methods)  # type: ignore[assignment]
    return client


def rpc_error(error: Exception) -> grpc.aio.AioRpcError:
    code, message, trailers = to_grpc_status(error)  # type: ignore[arg-type]
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailers), details=message)


async def test_a_call_carries_the_callers_token_this_requests_id_and_the_deadline() -> None:
    rpc = FakeRpc(ITEM, trailers=((REVISION_METADATA, "17"),))
    reset = observability.current_request_id.set("req-1")
    try:
        written = await catalog_client(SetItemActive=rpc).set_item_active("i1", True, NO_CHECK, "the-token")
    finally:
        observability.current_request_id.reset(reset)
    ((request, timeout, metadata),) = rpc.calls
    assert request == pb.SetActiveRequest(id="i1", active=True)
    assert timeout == 2.5
    assert ("authorization", "Bearer the-token") in metadata
    assert (observability.REQUEST_ID_HEADER, "req-1") in metadata
    item = written.record
    assert (item.id, item.kind, item.version, item.license_model) == ("i1", "hardware", 4, None)
    assert written.revision == 17  # the catalog revision the write took, from its trailing metadata


async def test_an_update_sends_the_changed_fields_their_mask_and_the_version() -> None:
    rpc = FakeRpc(ITEM)
    patch = ItemPatch.model_validate({"reference_price_cents": 84900, "license_model": None, "version": 3})
    await catalog_client(UpdateItem=rpc).update_item("i1", patch, ExpectedVersion(3), "t")
    ((request, _, _),) = rpc.calls
    assert request == pb.UpdateItemRequest(
        item=pb.Item(id="i1", reference_price_cents=84900),
        update_mask=FieldMask(paths=["license_model", "reference_price_cents"]),
        expected_version=3,
    )


async def test_a_refusal_is_the_services_problem() -> None:
    rpc = FakeRpc(error=rpc_error(NotFound("no item i9")))
    with pytest.raises(Problem) as refused:
        await catalog_client(SetItemActive=rpc).set_item_active("i9", False, NO_CHECK, "t")
    assert (refused.value.status, REASONS[refused.value.reason].slug) == (404, "not-found")


@pytest.mark.parametrize(
    ("expected", "status", "slug"),
    [
        (ExpectedVersion(2, via_if_match=False), 409, "version-conflict"),  # the version came in the body
        (ExpectedVersion(2, via_if_match=True), 412, "precondition-failed"),  # ... as If-Match
    ],
)
async def test_a_stale_version_is_a_conflict_or_a_failed_precondition(
    expected: ExpectedVersion, status: int, slug: str
) -> None:
    rpc = FakeRpc(error=rpc_error(VersionConflict("item i1", expected=2, current=5)))
    patch = ItemPatch.model_validate({"name": "Notebook 14", "version": 2})
    with pytest.raises(Problem) as refused:
        await catalog_client(UpdateItem=rpc).update_item("i1", patch, expected, "t")
    assert (refused.value.status, REASONS[refused.value.reason].slug) == (status, slug)
    assert refused.value.extra.get("current_version") == 5


async def test_an_action_without_if_match_checks_no_version() -> None:
    rpc = FakeRpc(ITEM)
    await catalog_client(SetItemActive=rpc).set_item_active("i1", False, NO_CHECK, "t")
    assert rpc.calls[0][0] == pb.SetActiveRequest(id="i1", active=False, expected_version=0)


def test_no_name_is_looked_up_at_runtime_in_the_gateway() -> None:
    """Request classes, stub methods and fields are named in the code (mypy checks them), never built from text:
    getattr/setattr only with a literal name (the proto field `from`, a Python keyword; a spreadsheet cell)."""
    dynamic = []
    for path in sorted(GATEWAY.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"getattr", "setattr"}
            ):
                name = node.args[1] if len(node.args) > 1 else None
                if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                    dynamic.append(f"{path.relative_to(GATEWAY)}:{node.lineno}")
    assert dynamic == []


def test_routers_speak_rest_models_only() -> None:
    """Messages are the clients' and serde's business: no router imports a proto module."""
    imports = [
        f"{path.name}: {name}"
        for path in sorted((GATEWAY / "routers").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        for name in (
            [alias.name for alias in node.names] if isinstance(node, ast.Import)
            else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        )
        if name.startswith(("civicpool.", "google.protobuf"))
    ]  # fmt: skip
    assert imports == []


async def test_reports_get_their_own_longer_deadline_and_interactive_calls_keep_theirs() -> None:
    from civicpool.contracts.v1 import contracts_pb2 as contracts_pb
    from civicpool_gateway.clients.contracts import ContractsClient

    report, interactive = FakeRpc(contracts_pb.RenewalsDue()), FakeRpc(contracts_pb.ListBudgetsResponse())
    client = ContractsClient(grpc.aio.insecure_channel("127.0.0.1:9"), deadline_seconds=2.5, report_deadline_seconds=30)
    client._stub = FakeStub(ListRenewalsDue=report, ListBudgets=interactive)  # type: ignore[assignment]
    await client.renewals_due(90, "t")
    await client.list_budgets(2026, "t")
    assert (report.calls[0][1], interactive.calls[0][1]) == (30, 2.5)
