"""What the tenders service asks the demand, catalog and contracts services, over gRPC (its outbound clients).

The tenders service never reads their tables. Each call forwards the
caller's own token (so the other service applies its own rules to the same
person) and carries a deadline. The protocols let the service tests use the
real services in-process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import grpc
from civicpool.catalog.v1 import catalog_pb2 as catalog_pb
from civicpool.contracts.v1 import contracts_pb2 as contracts_pb
from civicpool.contracts.v1.contracts_pb2_grpc import ContractsServiceStub
from civicpool.demand.v1 import demand_pb2 as demand_pb
from civicpool.demand.v1.demand_pb2_grpc import DemandServiceStub
from civicpool_common.auth import Principal
from civicpool_common.errors import NotFound
from civicpool_common.grpc_client import call_as_caller, call_as_service
from civicpool_common.references import CatalogResolver, Resolver
from civicpool_common.service_identity import ServiceTokens
from civicpool_common.vocabulary import ItemKind, RoundStatus, from_proto


@dataclass(frozen=True)
class RoundInfo:
    id: str
    title: str
    owner_city_id: str
    status: RoundStatus
    tender_id: str


@dataclass(frozen=True)
class ItemDemand:
    item_id: str
    quantity: int
    shares: dict[str, int] = field(default_factory=dict)  # city -> quantity


@dataclass(frozen=True)
class ItemInfo:
    id: str
    sku: str
    name: str
    unit: str
    cpv_code: str
    kind: str
    reference_price_cents: int


@dataclass(frozen=True)
class PartyInfo:
    """A city or a vendor as the open-data export names it."""

    id: str
    name: str
    identifier: str  # AGS of a city, VAT id of a vendor
    country: str
    active: bool = True


class DemandRounds(Protocol):
    async def get_round(self, principal: Principal, round_id: str) -> RoundInfo: ...
    async def demand_by_item(self, principal: Principal, round_id: str) -> list[ItemDemand]: ...
    async def bundle(self, principal: Principal, round_id: str, tender_id: str) -> None: ...


class Catalog(Resolver, Protocol):
    async def items(self, principal: Principal, ids: Sequence[str]) -> dict[str, ItemInfo]: ...
    async def vendor(self, principal: Principal, vendor_id: str) -> PartyInfo | None: ...
    async def cities(self, principal: Principal) -> dict[str, PartyInfo]: ...
    async def vendors(self, principal: Principal) -> dict[str, PartyInfo]: ...


class GrpcDemandRounds:
    """The principal is the caller whose token is forwarded (current_token). Bundling is an internal
    method of the demand service: the call carries this service's own token (`identity`) too."""

    def __init__(self, channel: grpc.aio.Channel, deadline_seconds: float, identity: ServiceTokens) -> None:
        self._stub = DemandServiceStub(channel)
        self._deadline = deadline_seconds
        self._identity = identity

    async def get_round(self, principal: Principal, round_id: str) -> RoundInfo:
        reply = await call_as_caller(
            "demand", self._stub.GetRound, demand_pb.GetRoundRequest(id=round_id), self._deadline
        )
        status = from_proto(reply.status, demand_pb.RoundStatus, RoundStatus)
        assert status is not None
        return RoundInfo(reply.id, reply.title, reply.owner_city_id, status, reply.tender_id)

    async def demand_by_item(self, principal: Principal, round_id: str) -> list[ItemDemand]:
        request = demand_pb.AggregateRoundRequest(round_id=round_id)
        reply = await call_as_caller("demand", self._stub.AggregateRound, request, self._deadline)
        return [
            ItemDemand(i.item_id, i.total_quantity, dict(zip(i.city_ids, i.city_quantities, strict=True)))
            for i in reply.items
        ]

    async def bundle(self, principal: Principal, round_id: str, tender_id: str) -> None:
        request = demand_pb.RoundTransitionRequest(id=round_id, tender_id=tender_id)
        await call_as_caller("demand", self._stub.BundleRound, request, self._deadline, identity=self._identity)


class GrpcCatalog(CatalogResolver):
    """The catalog's answers from the service's replica; an item or vendor it does not hold yet (made a moment
    ago) over gRPC (resolving ids: CatalogResolver)."""

    async def items(self, principal: Principal, ids: Sequence[str]) -> dict[str, ItemInfo]:
        return {item_id: _item_info(item) for item_id, item in (await self.items_by_id(ids)).items()}

    async def vendor(self, principal: Principal, vendor_id: str) -> PartyInfo | None:
        m = self._replica.get("vendors", vendor_id)
        if m is None:
            try:
                request = catalog_pb.GetVendorRequest(id=vendor_id)
                m = await call_as_caller("catalog", self._stub.GetVendor, request, self._deadline)
            except NotFound:
                return None
        return PartyInfo(m.id, m.name, m.vat_id, m.country, m.active)

    async def cities(self, principal: Principal) -> dict[str, PartyInfo]:
        return {c.id: PartyInfo(c.id, c.name, c.ags, "DE", c.active) for c in self._replica.all("cities").values()}

    async def vendors(self, principal: Principal) -> dict[str, PartyInfo]:
        held = self._replica.all("vendors").values()
        return {v.id: PartyInfo(v.id, v.name, v.vat_id, v.country, v.active) for v in held}


def _item_info(m: catalog_pb.Item) -> ItemInfo:
    kind = from_proto(m.kind, catalog_pb.ItemKind, ItemKind)
    return ItemInfo(m.id, m.sku, m.name, m.unit, m.cpv_code, kind.value if kind else "", m.reference_price_cents)


class AwardContracts(Protocol):
    """The contracts service's side of an award: make its contracts (once), and list them."""

    async def create(self, order: contracts_pb.CreateAwardContractsRequest) -> list[contracts_pb.Contract]: ...
    async def of_tender(self, tender_id: str) -> list[contracts_pb.Contract]: ...


class GrpcAwardContracts:
    """Both are internal methods of the contracts service, called with this service's own token only: the
    relay delivers an award long after the lead's request (and token) may be gone; the order names the lead."""

    def __init__(self, channel: grpc.aio.Channel, deadline_seconds: float, identity: ServiceTokens) -> None:
        self._stub = ContractsServiceStub(channel)
        self._deadline = deadline_seconds
        self._identity = identity

    async def create(self, order: contracts_pb.CreateAwardContractsRequest) -> list[contracts_pb.Contract]:
        reply = await call_as_service(
            "contracts", self._stub.CreateAwardContracts, order, self._deadline, self._identity
        )
        return list(reply.contracts)

    async def of_tender(self, tender_id: str) -> list[contracts_pb.Contract]:
        request = contracts_pb.ListAwardContractsRequest(tender_id=tender_id)
        reply = await call_as_service(
            "contracts", self._stub.ListAwardContracts, request, self._deadline, self._identity
        )
        return list(reply.contracts)
