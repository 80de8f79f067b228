"""The tenders and contracts services' view of their neighbours, answered by the real services in this process.

Service tests run the rules on real databases without gRPC; these adapters ask a
real DemandService, CatalogService and ContractsService (each with its own real
database) what the gRPC clients ask over the network, as the same caller.
The gRPC path itself is covered by the stack tests.
"""

from __future__ import annotations

from collections.abc import Sequence

from civicpool.contracts.v1 import contracts_pb2 as contracts_pb
from civicpool_catalog.service import CITIES, VENDORS
from civicpool_common.auth import Principal
from civicpool_common.errors import NotFound
from civicpool_common.vocabulary import RoundStatus
from civicpool_contracts.clients import ChargeParty, InvoiceParties, NewRound
from civicpool_contracts.grpc_api import award_order_from_proto, contract_to_proto
from civicpool_contracts.service import ContractsService
from civicpool_demand.service import DemandService, RoundDraft
from civicpool_tenders.clients import ItemDemand, ItemInfo, PartyInfo, RoundInfo

from tests.support.catalog_directory import InProcessResolver


class InProcessDemand:
    def __init__(self, demand: DemandService) -> None:
        self._demand = demand

    async def get_round(self, principal: Principal, round_id: str) -> RoundInfo:
        round_ = await self._demand.get_round(principal, round_id)
        return RoundInfo(round_.id, round_.title, round_.owner_city_id, RoundStatus(round_.status), round_.tender_id)

    async def demand_by_item(self, principal: Principal, round_id: str) -> list[ItemDemand]:
        aggregation = await self._demand.aggregate(principal, round_id)
        return [
            ItemDemand(a.item.id, a.total_quantity, {c.city_id: c.quantity for c in a.cities})
            for a in aggregation.items
        ]

    async def bundle(self, principal: Principal, round_id: str, tender_id: str) -> None:
        await self._demand.transition_round(principal, round_id, "bundle", 0, tender_id=tender_id)

    async def create_prefilled_round(self, principal: Principal, round_: NewRound) -> str:
        draft = RoundDraft(round_.title, round_.description, round_.opens_at, round_.closes_at, [round_.item_id])
        lines = [(city, round_.item_id, quantity, why) for city, quantity, why in round_.lines]
        return (await self._demand.create_prefilled_round(principal, draft, lines)).id


class InProcessCatalog(InProcessResolver):
    async def items(self, principal: Principal, ids: Sequence[str]) -> dict[str, ItemInfo]:
        return {
            row.id: ItemInfo(row.id, row.sku, row.name, row.unit, row.cpv_code, row.kind, row.reference_price_cents)
            for row in await self._catalog.items_batch(list(ids), [])
        }

    async def split_cost(
        self, principal: Principal, cost_key_id: str, amount_cents: int, usage: dict[str, int], city_ids: list[str]
    ) -> dict[str, int]:
        return await self._catalog.split_cost(cost_key_id, amount_cents, usage, city_ids)

    async def vendor(self, principal: Principal, vendor_id: str) -> PartyInfo | None:
        try:
            v = await self._catalog.get(VENDORS, vendor_id)
        except NotFound:
            return None
        return PartyInfo(v.id, v.name, v.vat_id or "", v.country, v.active)

    async def cities(self, principal: Principal) -> dict[str, PartyInfo]:
        page = await self._catalog.list_page(CITIES, 500, "", include_inactive=True)
        return {c.id: PartyInfo(c.id, c.name, c.ags, "DE", c.active) for c in page.records}

    async def invoice_parties(
        self, principal: Principal, leitweg_id: str, vat_id: str, item_ids: Sequence[str], city_ids: Sequence[str] = ()
    ) -> InvoiceParties:
        city, unit, vendor_id, rates, defaults = await self._catalog.invoice_parties(leitweg_id, vat_id, item_ids,
                                                                                      city_ids)  # fmt: skip
        return InvoiceParties(
            city, unit, vendor_id, rates, {c: (u["leitweg_id"], u["name"]) for c, u in defaults.items()}
        )

    async def charge_parties(self, principal: Principal, city_ids: Sequence[str]) -> dict[str, ChargeParty]:
        found = {}
        for city_id in city_ids:
            try:
                city = await self._catalog.get(CITIES, city_id)
            except NotFound:
                continue
            units = city.billing_units or []
            found[city_id] = ChargeParty(city.id, city.name, city.ags, units[0]["leitweg_id"] if units else "",
                                         dict(city.invoicing or {}))  # fmt: skip
        return found

    async def vendors(self, principal: Principal) -> dict[str, PartyInfo]:
        page = await self._catalog.list_page(VENDORS, 500, "", include_inactive=True)
        return {v.id: PartyInfo(v.id, v.name, v.vat_id or "", v.country, v.active) for v in page.records}


class InProcessAwardContracts:
    """The contracts service's side of an award, through the same proto conversion as its gRPC servicer."""

    def __init__(self, contracts: ContractsService) -> None:
        self._contracts = contracts

    async def create(self, order: contracts_pb.CreateAwardContractsRequest) -> list[contracts_pb.Contract]:
        views = await self._contracts.create_award_contracts(award_order_from_proto(order))
        return [contract_to_proto(v) for v in views]

    async def of_tender(self, tender_id: str) -> list[contracts_pb.Contract]:
        return [contract_to_proto(v) for v in await self._contracts.award_contracts(tender_id)]
