"""The DemandService servicer: proto <-> domain, nothing else."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from civicpool.demand.v1 import demand_pb2 as pb
from civicpool.demand.v1 import demand_pb2_grpc
from civicpool_common.catalog_replica import MESSAGES, CatalogReplica, following, open_feed
from civicpool_common.errors import InvalidArgument
from civicpool_common.grpc_client import open_channel
from civicpool_common.grpc_server import current_principal, periodically
from civicpool_common.messages import Text
from civicpool_common.notify import NotificationRelay
from civicpool_common.service_identity import ServiceTokens
from civicpool_common.settings import OidcSettings
from civicpool_common.timestamps import date_field, timestamp_field, to_timestamp
from civicpool_common.vocabulary import ImportMode, LineStatus, Priority, RoundStatus, from_proto, to_proto
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_demand import repository
from civicpool_demand.clients import GrpcItemDirectory
from civicpool_demand.config import DemandSettings
from civicpool_demand.imports import RawRow
from civicpool_demand.models import Import, Line, NotificationOrder, Round
from civicpool_demand.service import Aggregation, DemandService, LineDraft, RoundDraft

Context = grpc.aio.ServicerContext[Any, Any]
UPDATABLE_LINE_FIELDS = ("quantity", "needed_by", "justification", "priority")


def round_to_proto(round_: Round) -> pb.Round:
    return pb.Round(
        id=round_.id,
        title=round_.title,
        description=round_.description,
        owner_city_id=round_.owner_city_id,
        opens_at=to_timestamp(round_.opens_at),
        closes_at=to_timestamp(round_.closes_at),
        status=to_proto(round_.status, pb.RoundStatus, RoundStatus),
        version=round_.version,
        created_by=round_.created_by,
        created_at=to_timestamp(round_.created_at),
        scope_item_ids=round_.scope_item_ids,
        scope_cpv_prefixes=round_.scope_cpv_prefixes,
        status_changed_at=to_timestamp(round_.status_changed_at) if round_.status_changed_at else None,
        status_changed_by=round_.status_changed_by,
        cancel_reason=round_.cancel_reason,
        tender_id=round_.tender_id,
    )


def line_to_proto(line: Line) -> pb.Line:
    return pb.Line(
        id=line.id,
        round_id=line.round_id,
        city_id=line.city_id,
        item_id=line.item_id,
        quantity=line.quantity,
        needed_by=line.needed_by.isoformat() if line.needed_by else "",
        justification=line.justification,
        priority=to_proto(line.priority, pb.Priority, Priority),
        status=to_proto(line.status, pb.LineStatus, LineStatus),
        version=line.version,
        created_by=line.created_by,
        created_at=to_timestamp(line.created_at),
        updated_by=line.updated_by,
        updated_at=to_timestamp(line.updated_at),
    )


def aggregation_to_proto(aggregation: Aggregation) -> pb.Aggregation:
    message = pb.Aggregation(
        round_id=aggregation.round_id,
        total_quantity=aggregation.total_quantity,
        total_estimated_cents=aggregation.total_estimated_cents,
        city_count=aggregation.city_count,
        view=aggregation.view,
        view_city_id=aggregation.view_city_id,
    )
    for a in aggregation.items:
        total = message.items.add(
            item_id=a.item.id,
            sku=a.item.sku,
            name=a.item.name,
            unit=a.item.unit,
            reference_price_cents=a.item.reference_price_cents,
            total_quantity=a.total_quantity,
            city_count=a.city_count,
            line_count=a.line_count,
            estimated_cents=a.estimated_cents,
        )
        if a.cities:
            city_ids, quantities, line_counts, estimated_cents = zip(*a.cities, strict=True)
            total.city_ids.extend(city_ids)
            total.city_quantities.extend(quantities)
            total.city_line_counts.extend(line_counts)
            total.city_estimated_cents.extend(estimated_cents)
    return message


def import_to_proto(record: Import, replayed: bool) -> pb.ImportResult:
    return pb.ImportResult(
        import_id=record.id,
        rows=record.rows,
        created=record.created,
        withdrawn=record.withdrawn,
        unchanged=record.unchanged,
        replayed=replayed,
        imported_at=to_timestamp(record.imported_at),
        imported_by=record.imported_by,
    )


def _priority(number: int) -> Priority:
    return from_proto(number, pb.Priority, Priority) or Priority.NORMAL


# How each editable field of a round reads from its message (creating and updating alike).
ROUND_READERS: dict[str, Callable[[pb.Round], object]] = {
    "title": lambda m: m.title.strip(),
    "description": lambda m: m.description.strip(),
    "opens_at": lambda m: timestamp_field(m, "opens_at"),
    "closes_at": lambda m: timestamp_field(m, "closes_at"),
    "scope_item_ids": lambda m: [i.strip() for i in m.scope_item_ids],
    "scope_cpv_prefixes": lambda m: [p.strip().replace("-", "") for p in m.scope_cpv_prefixes],
}


def _round_draft(message: pb.Round) -> RoundDraft:
    return RoundDraft(**{name: read(message) for name, read in ROUND_READERS.items()})  # type: ignore[arg-type]


class DemandServicer(demand_pb2_grpc.DemandServiceServicer):
    def __init__(self, service: DemandService) -> None:
        self._service = service

    async def CreateRound(self, request: pb.CreateRoundRequest, context: Context) -> pb.Round:
        return round_to_proto(await self._service.create_round(current_principal(), _round_draft(request.round)))

    async def CreatePrefilledRound(self, request: pb.CreatePrefilledRoundRequest, context: Context) -> pb.Round:
        draft = _round_draft(request.round)
        lines = [(x.city_id.strip(), x.item_id.strip(), x.quantity, x.justification.strip()) for x in request.lines]
        return round_to_proto(await self._service.create_prefilled_round(current_principal(), draft, lines))

    async def UpdateRound(self, request: pb.UpdateRoundRequest, context: Context) -> pb.Round:
        message = request.round
        unknown = sorted(set(request.update_mask.paths) - set(ROUND_READERS))
        if unknown:
            raise InvalidArgument.for_field(
                "update_mask", Text("unknown or read-only fields: {fields}", fields=", ".join(unknown))
            )
        changes = {path: ROUND_READERS[path](message) for path in request.update_mask.paths}
        round_ = await self._service.update_round(current_principal(), message.id, changes, request.expected_version)
        return round_to_proto(round_)

    async def GetRound(self, request: pb.GetRoundRequest, context: Context) -> pb.Round:
        return round_to_proto(await self._service.get_round(current_principal(), request.id))

    async def ListRounds(self, request: pb.ListRoundsRequest, context: Context) -> pb.ListRoundsResponse:
        status = from_proto(request.status, pb.RoundStatus, RoundStatus)
        page = await self._service.list_rounds(current_principal(), request.page.limit, request.page.cursor, status)
        return pb.ListRoundsResponse(rounds=[round_to_proto(r) for r in page.records], next_cursor=page.next_cursor)

    async def _transition(self, request: pb.RoundTransitionRequest, action: str) -> pb.Round:
        round_ = await self._service.transition_round(
            current_principal(), request.id, action, request.expected_version, request.reason, request.tender_id
        )
        return round_to_proto(round_)

    async def OpenRound(self, request: pb.RoundTransitionRequest, context: Context) -> pb.Round:
        return await self._transition(request, "open")

    async def CloseRound(self, request: pb.RoundTransitionRequest, context: Context) -> pb.Round:
        return await self._transition(request, "close")

    async def CancelRound(self, request: pb.RoundTransitionRequest, context: Context) -> pb.Round:
        return await self._transition(request, "cancel")

    async def BundleRound(self, request: pb.RoundTransitionRequest, context: Context) -> pb.Round:
        return await self._transition(request, "bundle")

    async def CreateLine(self, request: pb.CreateLineRequest, context: Context) -> pb.Line:
        message = request.line
        draft = LineDraft(
            round_id=message.round_id,
            city_id=message.city_id,
            item_id=message.item_id.strip(),
            quantity=message.quantity,
            needed_by=date_field(message.needed_by, "needed_by"),
            justification=message.justification.strip(),
            priority=_priority(message.priority),
        )
        return line_to_proto(await self._service.create_line(current_principal(), draft))

    async def GetLine(self, request: pb.GetLineRequest, context: Context) -> pb.Line:
        return line_to_proto(await self._service.get_line(current_principal(), request.round_id, request.id))

    async def ListLines(self, request: pb.ListLinesRequest, context: Context) -> pb.ListLinesResponse:
        status = from_proto(request.status, pb.LineStatus, LineStatus)
        where = repository.LineFilter(
            request.round_id, request.city_id or None, request.item_id or None, status.value if status else None
        )
        page = await self._service.list_lines(current_principal(), where, request.page.limit, request.page.cursor)
        return pb.ListLinesResponse(lines=[line_to_proto(x) for x in page.records], next_cursor=page.next_cursor)

    async def UpdateLine(self, request: pb.UpdateLineRequest, context: Context) -> pb.Line:
        unknown = sorted(set(request.update_mask.paths) - set(UPDATABLE_LINE_FIELDS))
        if unknown:
            raise InvalidArgument.for_field(
                "update_mask", Text("unknown or read-only fields: {fields}", fields=", ".join(unknown))
            )
        message = request.line
        readers: dict[str, Callable[[], object]] = {
            "quantity": lambda: message.quantity,
            "needed_by": lambda: date_field(message.needed_by, "needed_by"),
            "justification": lambda: message.justification.strip(),
            "priority": lambda: _priority(message.priority),
        }
        changes = {path: readers[path]() for path in request.update_mask.paths}
        line = await self._service.update_line(
            current_principal(), message.round_id, message.id, changes, request.expected_version
        )
        return line_to_proto(line)

    async def WithdrawLine(self, request: pb.WithdrawLineRequest, context: Context) -> pb.Line:
        line = await self._service.withdraw_line(
            current_principal(), request.round_id, request.id, request.expected_version
        )
        return line_to_proto(line)

    async def GetLineHistory(self, request: pb.GetLineRequest, context: Context) -> pb.LineHistory:
        line, entries = await self._service.line_history(current_principal(), request.round_id, request.id)
        return pb.LineHistory(
            line=line_to_proto(line),
            versions=[
                pb.LineVersion(
                    version=e.version.version,
                    change=e.version.change,
                    changed_by=e.version.changed_by,
                    changed_at=to_timestamp(e.version.changed_at),
                    changes=[pb.FieldChange(field=f, old_value=old, new_value=new) for f, old, new in e.changes],
                    import_id=e.version.import_id or "",
                )
                for e in entries
            ],
        )

    async def AggregateRound(self, request: pb.AggregateRoundRequest, context: Context) -> pb.Aggregation:
        return aggregation_to_proto(await self._service.aggregate(current_principal(), request.round_id))

    async def ImportLines(self, request: pb.ImportLinesRequest, context: Context) -> pb.ImportResult:
        mode = from_proto(request.mode, pb.ImportMode, ImportMode)
        if mode is None:
            raise InvalidArgument.for_field("mode", Text("choose add or replace"))
        rows = [
            RawRow(r.line, r.sku, r.cpv_code, r.name, r.quantity, r.needed_by, r.justification, r.priority)
            for r in request.rows
        ]
        record, replayed = await self._service.import_lines(
            current_principal(), request.round_id, request.city_id, mode, request.file_name, rows
        )
        return import_to_proto(record, replayed)


@contextlib.asynccontextmanager
async def register(
    server: grpc.aio.Server, sessions: async_sessionmaker[AsyncSession], settings: DemandSettings
) -> AsyncIterator[None]:
    channel = open_channel(settings.catalog_address, "catalog")
    notifications_channel = open_channel(settings.notifications_address, "notifications")
    identity = ServiceTokens("demand", settings.client_secret.get_secret_value(), OidcSettings())
    replica = CatalogReplica("demand", open_feed(channel, identity), MESSAGES)
    service = DemandService(sessions, GrpcItemDirectory(channel, settings.catalog_deadline_seconds, replica))
    notices = NotificationRelay(sessions, NotificationOrder, notifications_channel, identity,
                                settings.catalog_deadline_seconds)  # fmt: skip
    demand_pb2_grpc.add_DemandServiceServicer_to_server(DemandServicer(service), server)

    async def close_due_rounds() -> str:
        closed = await service.close_due_rounds()
        reminded = await service.remind_closing_rounds()
        done = [f"closed {closed} demand round(s) at their closing time"] if closed else []
        done += [f"reminded {reminded} city(ies) without lines of a round closing soon"] if reminded else []
        return "; ".join(done)

    try:
        async with (
            following(replica),
            periodically(close_due_rounds, settings.close_interval_seconds, "close due demand rounds"),
            periodically(notices.sweep, settings.relay_interval_seconds, "deliver notification events"),
        ):
            yield
    finally:
        await channel.close()
        await notifications_channel.close()
        await identity.aclose()
