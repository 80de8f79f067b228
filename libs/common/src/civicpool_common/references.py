"""Every city, vendor or item id that a write names resolves to an active record of the catalog.

One check for every service: the ids a write names are sent to the catalog's ResolveIds in one call
and compared exactly (an id is lower case; "Buehl" is not "buehl"). An id that names nothing, or a
deactivated record, refuses the whole write with one field violation per id, before anything is
stored. Whether a resolved city is a party to the contract or tender the write concerns is the
service's own rule, checked right after (it knows its contracts and tenders).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import grpc
from civicpool.catalog.v1 import catalog_pb2 as catalog_pb
from civicpool.catalog.v1.catalog_pb2_grpc import CatalogServiceStub

from civicpool_common.errors import FieldViolation, InvalidArgument
from civicpool_common.grpc_client import call_as_caller
from civicpool_common.messages import N_, Text


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


# An id found active is taken as active for this long without asking again: a burst of call-offs for
# one city asks the catalog once, not once per call. A deactivation takes effect within this time;
# ids not found, or found inactive, are asked every time (a new city is usable at once).
ACTIVE_FOR_SECONDS = 2.0


class CatalogResolver:
    """Resolver over gRPC: the catalog's ResolveIds, with the caller's token and a deadline.

    Concurrent calls that miss the short-lived cache of active ids wait for one request to the
    catalog instead of sending one each.
    """

    def __init__(self, channel: grpc.aio.Channel, deadline_seconds: float) -> None:
        self._stub = CatalogServiceStub(channel)
        self._deadline = deadline_seconds
        self._active_until: dict[tuple[Kind, str], float] = {}
        self._asking = asyncio.Lock()

    async def resolve(self, cities: Sequence[str], vendors: Sequence[str], items: Sequence[str]) -> Resolution:
        wanted = {Kind.CITY: cities, Kind.VENDOR: vendors, Kind.ITEM: items}
        found = self._cached(wanted)
        if found is None:
            async with self._asking:  # the first caller asks; those who waited find its answer cached
                found = self._cached(wanted) or await self._ask(wanted)
        return Resolution(found[Kind.CITY], found[Kind.VENDOR], found[Kind.ITEM])

    def _cached(self, wanted: Mapping[Kind, Sequence[str]]) -> dict[Kind, dict[str, bool]] | None:
        now = time.monotonic()
        if all(self._active_until.get((kind, i), 0.0) > now for kind, ids in wanted.items() for i in ids):
            return {kind: dict.fromkeys(ids, True) for kind, ids in wanted.items()}
        return None

    async def _ask(self, wanted: Mapping[Kind, Sequence[str]]) -> dict[Kind, dict[str, bool]]:
        request = catalog_pb.ResolveIdsRequest(
            city_ids=wanted[Kind.CITY], vendor_ids=wanted[Kind.VENDOR], item_ids=wanted[Kind.ITEM]
        )
        reply = await call_as_caller("catalog", self._stub.ResolveIds, request, self._deadline)
        found = {
            Kind.CITY: {r.id: r.active for r in reply.cities},
            Kind.VENDOR: {r.id: r.active for r in reply.vendors},
            Kind.ITEM: {r.id: r.active for r in reply.items},
        }
        until = time.monotonic() + ACTIVE_FOR_SECONDS
        for kind, answers in found.items():
            for record_id, active in answers.items():
                if active:
                    self._active_until[kind, record_id] = until
                else:
                    self._active_until.pop((kind, record_id), None)
        return found
