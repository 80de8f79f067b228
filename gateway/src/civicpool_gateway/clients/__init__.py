"""The gateway's clients of the five services: one typed client each, over one channel each.

A client's methods take and return the REST models (or plain values) and call the generated stub's
methods directly; clients/base.py is the one way they call (the caller's token, the deadline, errors as
problems), serde/ the one way messages become models and back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import grpc
from civicpool_common.grpc_client import open_channel
from fastapi import Depends, Request
from grpc_health.v1 import health_pb2, health_pb2_grpc

from civicpool_gateway.clients.catalog import CatalogClient
from civicpool_gateway.clients.contracts import ContractsClient
from civicpool_gateway.clients.demand import DemandClient
from civicpool_gateway.clients.notifications import NotificationsClient
from civicpool_gateway.clients.tenders import TendersClient
from civicpool_gateway.config import GatewaySettings


@dataclass
class ServiceChannel:
    name: str
    channel: grpc.aio.Channel
    health: Any  # a HealthStub; its type stubs do not declare Check


class ServiceClients:
    def __init__(self, settings: GatewaySettings) -> None:
        deadline = settings.grpc_deadline_seconds
        self.channels = {
            name: self._open(name, address)
            for name, address in (
                ("catalog", settings.catalog_address),
                ("demand", settings.demand_address),
                ("tenders", settings.tenders_address),
                ("contracts", settings.contracts_address),
                ("notifications", settings.notifications_address),
            )
        }
        self.catalog = CatalogClient(self.channels["catalog"].channel, deadline)
        reports = settings.report_deadline_seconds
        self.demand = DemandClient(self.channels["demand"].channel, deadline, reports)
        self.tenders = TendersClient(self.channels["tenders"].channel, deadline)
        self.contracts = ContractsClient(self.channels["contracts"].channel, deadline, reports)
        self.notifications = NotificationsClient(self.channels["notifications"].channel, deadline)

    @staticmethod
    def _open(name: str, address: str) -> ServiceChannel:
        channel = open_channel(address, name)
        return ServiceChannel(name, channel, health_pb2_grpc.HealthStub(channel))

    async def close(self) -> None:
        for service in self.channels.values():
            await service.channel.close()

    async def health(self, service: str, seconds: float) -> str:
        """The service's health status name; UNREACHABLE when it does not answer."""
        try:
            response: Any = await self.channels[service].health.Check(
                health_pb2.HealthCheckRequest(service=""), timeout=seconds
            )
        except grpc.aio.AioRpcError:
            return "UNREACHABLE"
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))


async def clients(request: Request) -> ServiceClients:
    # async: FastAPI would run a plain `def` dependency in a worker thread on every request.
    service_clients: ServiceClients = request.app.state.clients
    return service_clients


ClientsDep = Annotated[ServiceClients, Depends(clients)]
