"""The gateway's client of the demand service: rounds, lines, the aggregation, imports."""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from civicpool.demand.v1 import demand_pb2 as pb
from civicpool.demand.v1.demand_pb2_grpc import DemandServiceStub
from civicpool_common.vocabulary import ImportMode

from civicpool_gateway.clients.base import ServiceClient
from civicpool_gateway.demand_schemas import (
    AggregationJson,
    ImportResult,
    Line,
    LineFields,
    LineHistory,
    LineListParams,
    LinePatch,
    Round,
    RoundFields,
    RoundListParams,
    RoundPatch,
)
from civicpool_gateway.schemas import Page
from civicpool_gateway.serde import demand as serde
from civicpool_gateway.serde.fields import update_mask
from civicpool_gateway.uploads import SheetRow
from civicpool_gateway.versioning import ExpectedVersion

# Checking 5,000 rows against the catalog and writing them takes longer than a read.
IMPORT_DEADLINE_SECONDS = 30.0


class DemandClient(ServiceClient):
    def __init__(self, channel: grpc.aio.Channel, deadline_seconds: float, report_deadline_seconds: float) -> None:
        super().__init__("demand", deadline_seconds, report_deadline_seconds)
        self._stub = DemandServiceStub(channel)

    # -- rounds ----------------------------------------------------------------

    async def list_rounds(self, params: RoundListParams, token: str) -> Page[Round]:
        reply = await self._call(self._stub.ListRounds, serde.rounds_query_to_proto(params), token)
        return serde.rounds_page_from_proto(reply)

    async def get_round(self, round_id: str, token: str) -> Round:
        return serde.round_from_proto(await self._call(self._stub.GetRound, pb.GetRoundRequest(id=round_id), token))

    async def create_round(self, fields: RoundFields, token: str) -> Round:
        request = pb.CreateRoundRequest(round=serde.round_fields_to_proto(fields))
        return serde.round_from_proto(await self._call(self._stub.CreateRound, request, token))

    async def update_round(self, round_id: str, patch: RoundPatch, expected: ExpectedVersion, token: str) -> Round:
        request = pb.UpdateRoundRequest(
            round=serde.round_patch_to_proto(round_id, patch),
            update_mask=update_mask(patch),
            expected_version=expected.number,
        )
        return serde.round_from_proto(await self._call(self._stub.UpdateRound, request, token, expected=expected))

    async def open_round(self, round_id: str, expected: ExpectedVersion, token: str) -> Round:
        request = pb.RoundTransitionRequest(id=round_id, expected_version=expected.number)
        return serde.round_from_proto(await self._call(self._stub.OpenRound, request, token, expected=expected))

    async def close_round(self, round_id: str, expected: ExpectedVersion, token: str) -> Round:
        request = pb.RoundTransitionRequest(id=round_id, expected_version=expected.number)
        return serde.round_from_proto(await self._call(self._stub.CloseRound, request, token, expected=expected))

    async def cancel_round(self, round_id: str, reason: str, expected: ExpectedVersion, token: str) -> Round:
        request = pb.RoundTransitionRequest(id=round_id, expected_version=expected.number, reason=reason)
        return serde.round_from_proto(await self._call(self._stub.CancelRound, request, token, expected=expected))

    async def aggregate_round(self, round_id: str, token: str) -> AggregationJson:
        reply = await self._report(self._stub.AggregateRound, pb.AggregateRoundRequest(round_id=round_id), token)
        return serde.aggregation_from_proto(reply)

    # -- lines -----------------------------------------------------------------

    async def list_lines(self, round_id: str, params: LineListParams, token: str) -> Page[Line]:
        reply = await self._call(self._stub.ListLines, serde.lines_query_to_proto(round_id, params), token)
        return serde.lines_page_from_proto(reply)

    async def get_line(self, round_id: str, line_id: str, token: str) -> Line:
        request = pb.GetLineRequest(round_id=round_id, id=line_id)
        return serde.line_from_proto(await self._call(self._stub.GetLine, request, token))

    async def create_line(self, round_id: str, city_id: str, fields: LineFields, token: str) -> Line:
        request = pb.CreateLineRequest(line=serde.line_fields_to_proto(round_id, city_id, fields))
        return serde.line_from_proto(await self._call(self._stub.CreateLine, request, token))

    async def update_line(
        self, round_id: str, line_id: str, patch: LinePatch, expected: ExpectedVersion, token: str
    ) -> Line:
        request = pb.UpdateLineRequest(
            line=serde.line_patch_to_proto(round_id, line_id, patch),
            update_mask=update_mask(patch),
            expected_version=expected.number,
        )
        return serde.line_from_proto(await self._call(self._stub.UpdateLine, request, token, expected=expected))

    async def withdraw_line(self, round_id: str, line_id: str, expected: ExpectedVersion, token: str) -> Line:
        request = pb.WithdrawLineRequest(round_id=round_id, id=line_id, expected_version=expected.number)
        return serde.line_from_proto(await self._call(self._stub.WithdrawLine, request, token, expected=expected))

    async def line_history(self, round_id: str, line_id: str, token: str) -> LineHistory:
        request = pb.GetLineRequest(round_id=round_id, id=line_id)
        return serde.line_history_from_proto(await self._call(self._stub.GetLineHistory, request, token))

    async def import_lines(
        self, round_id: str, city_id: str, mode: ImportMode, file_name: str, rows: Sequence[SheetRow], token: str
    ) -> ImportResult:
        """All rows or none (the service checks every row), under a longer deadline than a read's."""
        request = pb.ImportLinesRequest(
            round_id=round_id,
            city_id=city_id,
            mode=serde.import_mode_to_proto(mode),
            file_name=file_name,
            rows=serde.import_rows_to_proto(rows),
        )
        reply = await self._call(self._stub.ImportLines, request, token, deadline_seconds=IMPORT_DEADLINE_SECONDS)
        return serde.import_result_from_proto(reply)
