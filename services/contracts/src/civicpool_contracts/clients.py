"""What the contracts service asks the demand and catalog services, over gRPC (its outbound clients).

The contracts service never reads their tables. Each call forwards the
caller's own token (so the other service applies its own rules to the same
person) and carries a deadline. The protocols let the service tests use the
real services in-process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import grpc
from civicpool.catalog.v1 import catalog_pb2 as catalog_pb
from civicpool.demand.v1 import demand_pb2 as demand_pb
from civicpool.demand.v1.demand_pb2_grpc import DemandServiceStub
from civicpool_common.auth import Principal
from civicpool_common.errors import NotFound
from civicpool_common.grpc_client import call_as_caller
from civicpool_common.references import CatalogResolver, Resolver
from civicpool_common.service_identity import ServiceTokens
from civicpool_common.timestamps import to_timestamp


@dataclass(frozen=True)
class NewRound:
    """A demand round to create with lines filled in: (city, quantity, justification) for one item."""

    title: str
    description: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    item_id: str
    lines: list[tuple[str, int, str]]


class DemandRounds(Protocol):
    async def create_prefilled_round(self, principal: Principal, round_: NewRound) -> str: ...


class UsageCatalog(Resolver, Protocol):
    """What contracts in use ask the catalog: whether ids name active records, and how to split a cost."""

    async def split_cost(
        self, principal: Principal, cost_key_id: str, amount_cents: int, usage: dict[str, int], city_ids: list[str]
    ) -> dict[str, int]: ...


@dataclass(frozen=True)
class InvoiceParties:
    """Whom an e-invoice names, by the catalog: "" where nothing matches."""

    city_id: str  # whose billing unit has the Leitweg-ID
    billing_unit: str
    vendor_id: str  # whose VAT id it is
    vat_rate_bps: dict[str, int]  # item id -> its VAT rate
    billing_units: dict[str, tuple[str, str]]  # city id -> its default billing unit (Leitweg-ID, name)


class InvoiceCatalog(Protocol):
    async def invoice_parties(
        self, principal: Principal, leitweg_id: str, vat_id: str, item_ids: Sequence[str], city_ids: Sequence[str] = ()
    ) -> InvoiceParties: ...


@dataclass(frozen=True)
class ChargeParty:
    """A city as the seller or buyer of a charge: its name, its default Leitweg-ID ("" none) and how it invoices
    ({} until the network admin gave it: street, postcode, town, email, phone, iban, tax_number, contact_name)."""

    city_id: str
    name: str
    ags: str  # Amtlicher Gemeindeschlüssel
    leitweg_id: str
    invoicing: dict[str, str]


class ChargeCatalog(Protocol):
    async def charge_parties(self, principal: Principal, city_ids: Sequence[str]) -> dict[str, ChargeParty]:
        """The cities named, as the catalog has them (a city it does not know is left out)."""
        ...


class GrpcDemandRounds:
    """The principal is the caller whose token is forwarded (current_token). Prefilled rounds are an
    internal method of the demand service: the call carries this service's own token (`identity`) too."""

    def __init__(self, channel: grpc.aio.Channel, deadline_seconds: float, identity: ServiceTokens) -> None:
        self._stub = DemandServiceStub(channel)
        self._deadline = deadline_seconds
        self._identity = identity

    async def create_prefilled_round(self, principal: Principal, round_: NewRound) -> str:
        message = demand_pb.Round(
            title=round_.title, description=round_.description, opens_at=to_timestamp(round_.opens_at),
            closes_at=to_timestamp(round_.closes_at), scope_item_ids=[round_.item_id],
        )  # fmt: skip
        lines = [demand_pb.PrefilledLine(city_id=city, item_id=round_.item_id, quantity=quantity, justification=why)
                 for city, quantity, why in round_.lines]  # fmt: skip
        request = demand_pb.CreatePrefilledRoundRequest(round=message, lines=lines)
        reply = await call_as_caller(
            "demand", self._stub.CreatePrefilledRound, request, self._deadline, identity=self._identity
        )
        return reply.id


class GrpcCatalog(CatalogResolver):
    """The catalog's answers: the cities from the service's replica, splits and invoice parties over gRPC
    (resolving ids: CatalogResolver)."""

    async def split_cost(
        self, principal: Principal, cost_key_id: str, amount_cents: int, usage: dict[str, int], city_ids: list[str]
    ) -> dict[str, int]:
        request = catalog_pb.SplitCostRequest(
            cost_key_id=cost_key_id, amount_cents=amount_cents, usage=usage, city_ids=city_ids
        )
        reply = await call_as_caller("catalog", self._stub.SplitCost, request, self._deadline)
        return {part.city_id: part.amount_cents for part in reply.parts}

    async def invoice_parties(
        self, principal: Principal, leitweg_id: str, vat_id: str, item_ids: Sequence[str], city_ids: Sequence[str] = ()
    ) -> InvoiceParties:
        request = catalog_pb.FindInvoicePartiesRequest(
            leitweg_id=leitweg_id, vat_id=vat_id, item_ids=list(item_ids), city_ids=list(city_ids)
        )
        reply = await call_as_caller("catalog", self._stub.FindInvoiceParties, request, self._deadline)
        units = {city: (unit.leitweg_id, unit.name) for city, unit in reply.billing_units.items()}
        return InvoiceParties(reply.city_id, reply.billing_unit, reply.vendor_id, dict(reply.vat_rate_bps), units)

    async def charge_parties(self, principal: Principal, city_ids: Sequence[str]) -> dict[str, ChargeParty]:
        """From the replica; a city it does not hold yet from the catalog."""
        held = self._replica.all("cities")

        async def one(city_id: str) -> ChargeParty | None:
            if city_id in held:
                return charge_party(held[city_id])
            request = catalog_pb.GetCityRequest(id=city_id)
            try:
                city = await call_as_caller("catalog", self._stub.GetCity, request, self._deadline)
            except NotFound:
                return None
            return charge_party(city)

        found = await asyncio.gather(*(one(city_id) for city_id in city_ids))
        return {party.city_id: party for party in found if party is not None}


def charge_party(city: catalog_pb.City) -> ChargeParty:
    """The catalog's city as a party to a charge."""
    given = city.invoicing.ListFields() if city.HasField("invoicing") else []
    invoicing = {field.name: value for field, value in given}
    leitweg_id = city.billing_units[0].leitweg_id if city.billing_units else ""
    return ChargeParty(city.id, city.name, city.ags, leitweg_id, invoicing)
