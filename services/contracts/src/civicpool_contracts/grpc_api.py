"""The ContractsService servicer: proto <-> domain, nothing else."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import grpc
from civicpool.contracts.v1 import contracts_pb2 as pb
from civicpool.contracts.v1 import contracts_pb2_grpc
from civicpool_common.timestamps import to_timestamp
from civicpool_common.vocabulary import TenderStatus, to_proto
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_contracts.models import Tender
from civicpool_contracts.service import ContractsService

Context = grpc.aio.ServicerContext[Any, Any]


def tender_to_proto(tender: Tender) -> pb.Tender:
    return pb.Tender(
        id=tender.id,
        title=tender.title,
        lead_city_id=tender.lead_city_id,
        round_id=tender.round_id,
        status=to_proto(tender.status, pb.TenderStatus, TenderStatus),
        estimated_value_cents=tender.estimated_value_cents,
        created_at=to_timestamp(tender.created_at),
    )


class ContractsServicer(contracts_pb2_grpc.ContractsServiceServicer):
    def __init__(self, service: ContractsService) -> None:
        self._service = service

    async def ListTenders(self, request: pb.ListTendersRequest, context: Context) -> pb.ListTendersResponse:
        tenders, next_cursor = await self._service.list_tenders(request.page.limit, request.page.cursor)
        return pb.ListTendersResponse(tenders=[tender_to_proto(t) for t in tenders], next_cursor=next_cursor)


@contextlib.asynccontextmanager
async def register(
    server: grpc.aio.Server, sessions: async_sessionmaker[AsyncSession], _settings: object
) -> AsyncIterator[None]:
    contracts_pb2_grpc.add_ContractsServiceServicer_to_server(ContractsServicer(ContractsService(sessions)), server)
    yield
