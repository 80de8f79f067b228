"""gRPC channels to the services, and the one way the gateway calls them.

Every call carries a deadline and the caller's own access token (each service
verifies it again). Failures become problem documents via the status table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import grpc
from civicpool.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from civicpool.contracts.v1.contracts_pb2_grpc import ContractsServiceStub
from civicpool.demand.v1.demand_pb2_grpc import DemandServiceStub
from civicpool.tenders.v1.tenders_pb2_grpc import TendersServiceStub
from civicpool_common import observability
from civicpool_common.errors import from_rpc_error
from civicpool_common.grpc_client import open_channel
from fastapi import Depends, Request
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc

from civicpool_gateway.config import GatewaySettings
from civicpool_gateway.problems import Problem

Response = TypeVar("Response", bound=Message)


@dataclass
class ServiceChannel:
    name: str
    channel: grpc.aio.Channel
    health: Any  # a HealthStub; its type stubs do not declare Check


class ServiceClients:
    def __init__(self, settings: GatewaySettings) -> None:
        self._deadline = settings.grpc_deadline_seconds
        self.services = {
            name: self._open(name, address)
            for name, address in (
                ("catalog", settings.catalog_address),
                ("demand", settings.demand_address),
                ("tenders", settings.tenders_address),
                ("contracts", settings.contracts_address),
            )
        }
        self.catalog = CatalogServiceStub(self.services["catalog"].channel)
        self.demand = DemandServiceStub(self.services["demand"].channel)
        self.tenders = TendersServiceStub(self.services["tenders"].channel)
        self.contracts = ContractsServiceStub(self.services["contracts"].channel)

    @staticmethod
    def _open(name: str, address: str) -> ServiceChannel:
        channel = open_channel(address, name)
        return ServiceChannel(name, channel, health_pb2_grpc.HealthStub(channel))

    def stub(self, service: str) -> Any:
        return {"catalog": self.catalog, "demand": self.demand, "tenders": self.tenders, "contracts": self.contracts}[
            service
        ]

    async def close(self) -> None:
        for service in self.services.values():
            await service.channel.close()

    async def call(
        self,
        service: str,
        method: Callable[..., Awaitable[Response]],
        request: Message,
        token: str,
        *,
        deadline_seconds: float | None = None,
    ) -> Response:
        """Call `method` with the caller's token and the deadline; raise a Problem on failure."""
        timeout = deadline_seconds or self._deadline
        try:
            return await method(request, timeout=timeout, metadata=observability.outgoing_metadata(token))
        except grpc.aio.AioRpcError as error:
            raise Problem.from_remote(from_rpc_error(error), service) from None

    async def health(self, service: str, seconds: float) -> str:
        """The service's health status name; UNREACHABLE when it does not answer."""
        try:
            response: Any = await self.services[service].health.Check(
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
