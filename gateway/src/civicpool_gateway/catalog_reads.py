"""Catalog reads answered from the gateway's replica of the catalog (civicpool_common.catalog_replica).

Lists and single records come out as the catalog service would answer them: the same JSON, the same
paging and cursors, the same visibility (vendors read no cost key) and the same problems. A write
through this gateway answers only once the replica holds it (`settle`), so whoever wrote reads their
write; a caller that wrote through another gateway names the revision it got (the `Catalog-Revision`
header) and its read waits, bounded, until this replica holds it.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from civicpool_common.auth import Role
from civicpool_common.catalog_replica import REVISION_HEADER, REVISION_METADATA, CatalogReplica
from civicpool_common.errors import DomainError, NotFound, PermissionDenied
from civicpool_common.messages import N_, Text
from civicpool_common.paging import PageWindow
from fastapi import Depends, Request, Response
from pydantic import BaseModel

from civicpool_gateway.auth import Caller
from civicpool_gateway.catalog_schemas import Item, ItemListParams
from civicpool_gateway.problems import Problem
from civicpool_gateway.schemas import ListParams
from civicpool_gateway.serde import catalog as serde

Out = TypeVar("Out", bound=BaseModel)


@dataclass(frozen=True)
class Held(Generic[Out]):
    """A catalog record as the gateway holds it: its REST model, and its JSON in a list's answer, written once
    when the record arrives (a list then joins the JSON of its records instead of validating and writing
    each record again on every request)."""

    model: Out
    json: bytes

    @property
    def id(self) -> str:
        return str(self.model.id)  # type: ignore[attr-defined]

    @property
    def version(self) -> int:
        return int(self.model.version)  # type: ignore[attr-defined]


def _held(convert: Callable[[Any], Out]) -> Callable[[Any], Held[Out]]:
    def hold(message: Any) -> Held[Out]:
        model = convert(message)
        return Held(model, model.__pydantic_serializer__.to_json(model, by_alias=True))

    return hold


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "items": _held(serde.item_from_proto),
    "cities": _held(serde.city_from_proto),
    "vendors": _held(serde.vendor_from_proto),
    "cost_keys": _held(serde.cost_key_from_proto),
}
# What each kind is called in messages (the catalog service's words) and sorted by in lists.
NOUNS = {"items": N_("item"), "cities": N_("city"), "vendors": N_("vendor"), "cost_keys": N_("cost key")}
SORT_KEYS: dict[str, Callable[[Held[Any]], str]] = {
    "items": lambda held: held.model.sku,
    "cities": lambda held: held.id,
    "vendors": lambda held: held.id,
    "cost_keys": lambda held: held.id,
}
# How the cities share their costs is their own business: vendors read no cost key (as the catalog service).
READERS = {"cost_keys": (Role.CITY_IT, Role.FINANCE, Role.PROCUREMENT_LEAD, Role.NETWORK_ADMIN)}


@dataclass(frozen=True)
class Written(Generic[Out]):
    """A catalog record as a write left it, and the catalog revision the write took (0: not told)."""

    record: Out
    revision: int

    @classmethod
    def of(cls, convert: Callable[[Any], Out], reply: Any, trailers: dict[str, str]) -> Written[Out]:
        return cls(convert(reply), int(trailers.get(REVISION_METADATA) or 0))


class CatalogReads:
    def __init__(self, replica: CatalogReplica, wait_seconds: float) -> None:
        self.replica = replica
        self._wait_seconds = wait_seconds

    async def at_least(self, revision: int | None) -> None:
        """Wait (bounded) until the replica holds `revision`; past the bound it answers what it holds."""
        if revision:
            await self.replica.wait_for(revision, self._wait_seconds)

    async def settle(self, written: Written[Out], response: Response) -> Out:
        """A write's record, once this gateway's replica holds it; its revision goes out as a header."""
        await self.at_least(written.revision)
        if written.revision:
            response.headers[REVISION_HEADER] = str(written.revision)
        return written.record

    def one(self, kind: str, record_id: str, caller: Caller) -> Any:
        self._check_reader(kind, caller)
        held = self.replica.get(kind, record_id)
        if held is None:
            raise _problem(NotFound(Text("no {entity} with id {id}", entity=Text(NOUNS[kind]), id=repr(record_id))))
        return held.model

    def page(self, kind: str, params: ListParams, caller: Caller) -> Response:
        """A page of a list as its JSON (the Page the route declares), joined from the records' JSON."""
        self._check_reader(kind, caller)
        try:
            window = PageWindow.requested(params.limit, params.cursor or "")
        except DomainError as error:
            raise _problem(error) from None
        key = SORT_KEYS[kind]
        records = self.replica.sorted_by(kind, key)
        start = 0 if window.after is None else bisect.bisect_right(records, window.after, key=key)
        wanted = _item_filter(params) if isinstance(params, ItemListParams) else _active_filter(params)
        rows: list[Held[Any]] = []
        for held in records[start:]:
            if wanted(held.model):
                rows.append(held)
                if len(rows) == window.fetch:
                    break
        page = window.close(rows, key)
        cursor = json.dumps(page.next_cursor or None).encode()
        body = b'{"data":[' + b",".join(held.json for held in page.records) + b'],"next_cursor":' + cursor + b"}"
        return Response(body, media_type="application/json")

    def items(self, item_ids: Iterable[str]) -> dict[str, Item]:
        """The items of these ids that exist (every signed-in user reads items)."""
        held = self.replica.all("items")
        return {item_id: held[item_id].model for item_id in item_ids if item_id in held}

    @staticmethod
    def _check_reader(kind: str, caller: Caller) -> None:
        if kind in READERS:
            try:
                caller.principal.require_any_role(*READERS[kind])
            except PermissionDenied as denied:
                raise _problem(denied) from None


def _active_filter(params: ListParams) -> Callable[[Any], bool]:
    return (lambda _record: True) if params.include_inactive else (lambda record: bool(record.active))


def _item_filter(params: ItemListParams) -> Callable[[Item], bool]:
    """The catalog service's item conditions (repository.item_conditions); the name compared in lower case."""
    name = (params.q or "").strip().lower()
    prefix = params.cpv_prefix or ""

    def wanted(item: Item) -> bool:
        return (
            (params.include_inactive or item.active)
            and (params.kind is None or item.kind == params.kind)
            and item.cpv_code.startswith(prefix)
            and (params.hosting_region is None or item.hosting_region == params.hosting_region)
            and (not name or name in item.name.lower())
        )

    return wanted


def _problem(error: DomainError) -> Problem:
    """The problem the catalog service's error would have become."""
    errors = [{"field": v.field, "message": v.description} for v in error.violations]
    return Problem(error.reason, error.message, errors=errors)


async def catalog_reads(request: Request) -> CatalogReads:
    reads: CatalogReads = request.app.state.catalog
    return reads


CatalogDep = Annotated[CatalogReads, Depends(catalog_reads)]
