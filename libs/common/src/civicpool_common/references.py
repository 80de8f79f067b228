"""Every city, vendor or item id that a write names resolves to an active record of the catalog.

One check for every service: the ids a write names are sent to the catalog's ResolveIds in one call
and compared exactly (an id is lower case; "Buehl" is not "buehl"). An id that names nothing, or a
deactivated record, refuses the whole write with one field violation per id, before anything is
stored. Whether a resolved city is a party to the contract or tender the write concerns is the
service's own rule, checked right after (it knows its contracts and tenders).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import grpc
from civicpool.catalog.v1 import catalog_pb2 as catalog_pb
from civicpool.catalog.v1.catalog_pb2_grpc import CatalogServiceStub

from civicpool_common.catalog_replica import CatalogReplica
from civicpool_common.errors import FieldViolation, InvalidArgument
from civicpool_common.grpc_client import call_as_caller
from civicpool_common.messages import N_, Text
from civicpool_common.paging import MAX_LIMIT


class Kind(StrEnum):
    CITY = "city"
    VENDOR = "vendor"
    ITEM = "item"


NOUNS = {Kind.CITY: N_("member city"), Kind.VENDOR: N_("vendor"), Kind.ITEM: N_("catalog item")}


@dataclass(frozen=True)
class Reference:
    """An id a write names, and the request field that names it (`to_city_id`, `lines[2].city_id`)."""

    field: str
    kind: Kind
    id: str


@dataclass(frozen=True)
class Resolution:
    """id -> active, per kind, for the ids that name a record (the others are missing)."""

    cities: Mapping[str, bool]
    vendors: Mapping[str, bool]
    items: Mapping[str, bool]

    def of(self, kind: Kind) -> Mapping[str, bool]:
        return {Kind.CITY: self.cities, Kind.VENDOR: self.vendors, Kind.ITEM: self.items}[kind]


class Resolver(Protocol):
    async def resolve(self, cities: Sequence[str], vendors: Sequence[str], items: Sequence[str]) -> Resolution: ...


def cities(field: str, ids: Sequence[str]) -> list[Reference]:
    return [Reference(field, Kind.CITY, city_id) for city_id in ids]


def violations(references: Sequence[Reference], resolution: Resolution) -> list[FieldViolation]:
    """One violation per id that names no active record (pure: the rule, apart from the catalog call)."""
    found = []
    for reference in references:
        known = resolution.of(reference.kind)
        noun, shown = Text(NOUNS[reference.kind]), repr(reference.id)
        if reference.id not in known:
            hint = reference.id.lower()
            if hint != reference.id and hint in known:
                unknown = Text("{id} is not a {noun} of the network; ids are exact: did you mean {hint}?", id=shown,
                               noun=noun, hint=repr(hint))  # fmt: skip
            else:
                unknown = Text("{id} is not a {noun} of the network", id=shown, noun=noun)
            found.append(FieldViolation(reference.field, unknown))
        elif not known[reference.id]:
            found.append(
                FieldViolation(reference.field, Text("{id} is no longer an active {noun}", id=shown, noun=noun))
            )
    return found


async def require_active(resolver: Resolver, references: Sequence[Reference]) -> None:
    """Refuse (INVALID_ARGUMENT, per field) unless every id names an active city, vendor or item."""
    if not references:
        return
    asked: dict[Kind, list[str]] = {kind: [] for kind in Kind}
    for reference in references:
        # The lower-case spelling too: a near miss is told what it nearly named.
        asked[reference.kind] += dict.fromkeys([reference.id, reference.id.lower()])
    resolution = await resolver.resolve(
        *(list(dict.fromkeys(asked[kind])) for kind in (Kind.CITY, Kind.VENDOR, Kind.ITEM))
    )
    found = violations(references, resolution)
    if found:
        raise InvalidArgument(found[0].description if len(found) == 1 else Text("ids name no active record"),
                              violations=found)  # fmt: skip


def _item_id(item: catalog_pb.Item) -> str:
    return item.id


def _sku(item: catalog_pb.Item) -> str:
    return item.sku


def _by_ids(ids: list[str]) -> catalog_pb.BatchGetItemsRequest:
    return catalog_pb.BatchGetItemsRequest(ids=ids)


def _by_skus(skus: list[str]) -> catalog_pb.BatchGetItemsRequest:
    return catalog_pb.BatchGetItemsRequest(skus=skus)


# Where the replica keeps each kind of record.
REPLICA_KINDS = {Kind.CITY: "cities", Kind.VENDOR: "vendors", Kind.ITEM: "items"}


class CatalogResolver:
    """Resolver from this process's replica of the catalog (catalog_replica); the catalog's ResolveIds for what
    the replica does not hold as active.

    An id the replica holds as an active record is answered at once: a burst of call-offs asks nobody. An id it
    does not hold, or holds as inactive, is asked of the catalog with the caller's token and a deadline: a city
    made or reactivated a moment ago is usable at once, and a refusal is never the replica's lag. A
    deactivation takes effect when the replica has it (milliseconds after the write commits).
    """

    def __init__(self, channel: grpc.aio.Channel, deadline_seconds: float, replica: CatalogReplica) -> None:
        self._stub = CatalogServiceStub(channel)
        self._deadline = deadline_seconds
        self._replica = replica

    async def resolve(self, cities: Sequence[str], vendors: Sequence[str], items: Sequence[str]) -> Resolution:
        wanted = {Kind.CITY: cities, Kind.VENDOR: vendors, Kind.ITEM: items}
        found = self._held_active(wanted)
        if found is None:
            found = await self._ask(wanted)
        return Resolution(found[Kind.CITY], found[Kind.VENDOR], found[Kind.ITEM])

    async def items_by_id(self, ids: Sequence[str]) -> dict[str, catalog_pb.Item]:
        """The items of these ids (unknown ones left out): from the replica; those it does not hold yet (made a
        moment ago) from the catalog's BatchGetItems."""
        return await self._items(ids, self._replica.all("items"), _by_ids, _item_id)

    async def items_by_sku(self, skus: Sequence[str]) -> dict[str, catalog_pb.Item]:
        """The items of these SKUs, by SKU, as items_by_id does."""
        return await self._items(skus, self._replica.indexed_by("items", _sku), _by_skus, _sku)

    async def _items(
        self,
        wanted: Sequence[str],
        held: Mapping[str, catalog_pb.Item],
        request_of: Callable[[list[str]], catalog_pb.BatchGetItemsRequest],
        key: Callable[[catalog_pb.Item], str],
    ) -> dict[str, catalog_pb.Item]:
        unique = list(dict.fromkeys(wanted))
        found = {value: held[value] for value in unique if value in held}
        missing = [value for value in unique if value not in found]
        for start in range(0, len(missing), MAX_LIMIT):
            request = request_of(missing[start : start + MAX_LIMIT])
            reply = await call_as_caller("catalog", self._stub.BatchGetItems, request, self._deadline)
            found.update((key(item), item) for item in reply.items)
        return found

    def _held_active(self, wanted: Mapping[Kind, Sequence[str]]) -> dict[Kind, dict[str, bool]] | None:
        """Every id active, as the replica holds it; None if one is missing or inactive there."""
        for kind, ids in wanted.items():
            held = self._replica.all(REPLICA_KINDS[kind])
            if not all((record := held.get(record_id)) is not None and record.active for record_id in ids):
                return None
        return {kind: dict.fromkeys(ids, True) for kind, ids in wanted.items()}

    async def _ask(self, wanted: Mapping[Kind, Sequence[str]]) -> dict[Kind, dict[str, bool]]:
        request = catalog_pb.ResolveIdsRequest(
            city_ids=wanted[Kind.CITY], vendor_ids=wanted[Kind.VENDOR], item_ids=wanted[Kind.ITEM]
        )
        reply = await call_as_caller("catalog", self._stub.ResolveIds, request, self._deadline)
        return {
            Kind.CITY: {r.id: r.active for r in reply.cities},
            Kind.VENDOR: {r.id: r.active for r in reply.vendors},
            Kind.ITEM: {r.id: r.active for r in reply.items},
        }
