"""The DemandService servicer: proto <-> domain, nothing else."""

from __future__ import annotations

from typing import Any

import grpc
from civicpool.demand.v1 import demand_pb2 as pb
from civicpool.demand.v1 import demand_pb2_grpc
from civicpool_common.grpc_server import current_principal
from civicpool_common.timestamps import timestamp_field, to_timestamp
from civicpool_common.vocabulary import RoundStatus, to_proto
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_demand.models import Round
from civicpool_demand.service import DemandService, RoundDraft

Context = grpc.aio.ServicerContext[Any, Any]


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
    )


class DemandServicer(demand_pb2_grpc.DemandServiceServicer):
    def __init__(self, service: DemandService) -> None:
        self._service = service

    async def CreateRound(self, request: pb.CreateRoundRequest, context: Context) -> pb.Round:
        message = request.round
        draft = RoundDraft(
            title=message.title.strip(),
            description=message.description.strip(),
            opens_at=timestamp_field(message, "opens_at"),
            closes_at=timestamp_field(message, "closes_at"),
        )
        return round_to_proto(await self._service.create_round(current_principal(), draft))

    async def ListRounds(self, request: pb.ListRoundsRequest, context: Context) -> pb.ListRoundsResponse:
        rounds, next_cursor = await self._service.list_rounds(request.page.limit, request.page.cursor)
        return pb.ListRoundsResponse(rounds=[round_to_proto(r) for r in rounds], next_cursor=next_cursor)


def register(server: grpc.aio.Server, sessions: async_sessionmaker[AsyncSession]) -> None:
    demand_pb2_grpc.add_DemandServiceServicer_to_server(DemandServicer(DemandService(sessions)), server)
