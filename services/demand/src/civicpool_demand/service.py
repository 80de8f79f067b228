"""Demand use cases: rules, permissions and transactions.

Who may do what (checked here with the verified caller, whatever the gateway
sent):
- rounds: a procurement lead creates them for their own city; only a lead of
  the owner city opens, closes, cancels or bundles them. Every signed-in city
  user sees rounds that are no longer drafts; leads and admins see drafts too.
- lines: city IT writes its own city's lines while the round accepts demand.
  Leads and admins read every city's lines; city IT and finance their own
  city's; a finance user without a city is network-wide.
- aggregation: network totals for everyone who may see the round; the
  per-city breakdown only of the cities the caller may see.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from civicpool_common import lifecycle, notify, references
from civicpool_common.auth import CITY_READERS, NETWORK_WIDE, Principal, Role
from civicpool_common.database import integrity_violation, utc_now, write_transaction
from civicpool_common.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    VersionConflict,
)
from civicpool_common.ids import time_ordered_id
from civicpool_common.lifecycle import StateConflict
from civicpool_common.messages import Text
from civicpool_common.money import MAX_CENTS
from civicpool_common.paging import Page, PageWindow
from civicpool_common.references import Kind, Reference
from civicpool_common.timestamps import network_date
from civicpool_common.vocabulary import ImportMode, LineStatus, Priority, RoundStatus
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from civicpool_demand import imports, repository, rules
from civicpool_demand.clients import CatalogItem, ItemDirectory
from civicpool_demand.models import LINE_FIELDS, Import, Line, LineVersion, NotificationOrder, Round

Record = TypeVar("Record")
ROUND_FIELDS = ("title", "description", "opens_at", "closes_at", "scope_item_ids", "scope_cpv_prefixes")
ROUND_FIELDS_BY_STATUS = {
    RoundStatus.DRAFT: frozenset(ROUND_FIELDS),
    RoundStatus.OPEN: frozenset({"title", "description", "closes_at"}),  # the cities are already at work
}


@dataclass(frozen=True)
class RoundDraft:
    title: str
    description: str
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    scope_item_ids: Sequence[str] = ()
    scope_cpv_prefixes: Sequence[str] = ()


@dataclass(frozen=True)
class LineDraft:
    round_id: str
    city_id: str
    item_id: str
    quantity: int
    needed_by: dt.date | None
    justification: str
    priority: Priority


@dataclass(frozen=True)
class HistoryEntry:
    version: LineVersion
    changes: list[tuple[str, str, str]]  # (field, old, new)


class CityTotal(NamedTuple):
    city_id: str
    quantity: int
    line_count: int
    estimated_cents: int


@dataclass
class ItemAggregate:
    item: CatalogItem
    total_quantity: int = 0
    city_count: int = 0
    line_count: int = 0
    cities: list[CityTotal] = field(default_factory=list)

    @property
    def estimated_cents(self) -> int:
        return self.total_quantity * self.item.reference_price_cents


@dataclass(frozen=True)
class Aggregation:
    round_id: str
    items: list[ItemAggregate]
    view: str  # network | city | own-city
    view_city_id: str
    city_count: int  # cities with demand in the totals

    @property
    def total_quantity(self) -> int:
        return sum(i.total_quantity for i in self.items)

    @property
    def total_estimated_cents(self) -> int:
        return sum(i.estimated_cents for i in self.items)


# An open round closing within this time reminds the member cities that have no lines in it yet.
CLOSING_REMINDER = dt.timedelta(days=3)


class DemandService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], items: ItemDirectory) -> None:
        self._sessions = sessions
        self._items = items

    # -- rounds ----------------------------------------------------------------------------

    async def create_round(self, principal: Principal, draft: RoundDraft) -> Round:
        """A new round in status draft, owned by the lead's own city."""
        round_ = await self._new_round(principal, draft)
        async with write_transaction(self._sessions) as session:
            session.add(round_)
        return round_

    async def create_prefilled_round(
        self, principal: Principal, draft: RoundDraft, lines: Sequence[tuple[str, str, int, str]]
    ) -> Round:
        """A draft round with lines filled in for the cities, (city, item, quantity, justification) each.

        For a contract's renewal: each city finds its current use as its line and confirms or
        changes it once the lead opens the round. All or nothing.
        """
        round_ = await self._new_round(principal, draft)
        await references.require_active(
            self._items, [Reference(f"lines[{n}].city_id", Kind.CITY, line[0]) for n, line in enumerate(lines)]
        )
        items = await self._items.by_ids([item_id for _, item_id, _, _ in lines])
        violations = []
        for index, (city_id, item_id, quantity, justification) in enumerate(lines):
            problems = rules.line_violations(quantity, None, justification, network_date(round_.created_at))
            violations += [FieldViolation(f"lines[{index}].{v.field}", v.description) for v in problems]
            if not city_id:
                violations.append(FieldViolation(f"lines[{index}].city_id", Text("name the city")))
            try:
                _check_item(round_, items.get(item_id), item_id)
            except InvalidArgument as error:
                violations.append(FieldViolation(f"lines[{index}].item_id", error.message))
        if violations:
            raise InvalidArgument(Text("the prefilled lines are not valid"), violations=violations)
        user, now = principal.username, round_.created_at
        async with write_transaction(self._sessions) as session:
            session.add(round_)
            await session.flush()
            new_lines = [
                _new_line(LineDraft(round_.id, city_id, item_id, quantity, None, justification, Priority.NORMAL),
                          user, now)
                for city_id, item_id, quantity, justification in lines
            ]  # fmt: skip
            session.add_all(new_lines)
            await session.flush()
            session.add_all(_snapshot(line, "created", user, now) for line in new_lines)
        return round_

    async def _new_round(self, principal: Principal, draft: RoundDraft) -> Round:
        principal.require_any_role(Role.PROCUREMENT_LEAD)
        if principal.city is None:
            raise PermissionDenied(
                Text("{user} belongs to no city, so cannot own a demand round", user=principal.username)
            )
        await references.require_active(self._items, references.cities("owner_city_id", [principal.city]))
        now = utc_now()
        violations = _round_violations(draft, now)
        if draft.scope_item_ids and not violations:
            violations += _unknown_scope_items(draft.scope_item_ids, await self._items.by_ids(draft.scope_item_ids))
        if violations:
            raise InvalidArgument(Text("the demand round is not valid"), violations=violations)
        assert draft.opens_at is not None and draft.closes_at is not None
        return Round(
            id=time_ordered_id(),
            title=draft.title,
            description=draft.description,
            owner_city_id=principal.city,
            opens_at=draft.opens_at,
            closes_at=draft.closes_at,
            status=RoundStatus.DRAFT.value,
            created_by=principal.username,
            created_at=now,
            updated_at=now,
            scope_item_ids=list(dict.fromkeys(draft.scope_item_ids)),
            scope_cpv_prefixes=list(dict.fromkeys(draft.scope_cpv_prefixes)),
            status_changed_at=now,
            status_changed_by=principal.username,
            cancel_reason="",
            tender_id="",
        )

    async def update_round(
        self, principal: Principal, round_id: str, changes: Mapping[str, object], expected_version: int
    ) -> Round:
        """Change a draft freely; an open round only its title, description and a later deadline."""
        principal.require_any_role(Role.PROCUREMENT_LEAD)
        lifecycle.check_edit(changes, expected_version)
        scope_ids = changes.get("scope_item_ids")
        known = await self._items.by_ids(scope_ids) if isinstance(scope_ids, list) and scope_ids else {}
        await self.close_due_rounds()
        async with self._writing() as session:
            round_ = await self._round_of_owner(session, principal, round_id, expected_version)
            allowed = ROUND_FIELDS_BY_STATUS.get(RoundStatus(round_.status), frozenset())
            lifecycle.check_changeable("round", round_.status, changes, allowed)
            now = utc_now()
            draft = RoundDraft(**{name: changes.get(name, getattr(round_, name)) for name in ROUND_FIELDS})  # type: ignore[arg-type]
            violations = [v for v in _round_violations(draft, now) if _touches(v.field, changes)]
            if isinstance(scope_ids, list):
                violations += _unknown_scope_items(scope_ids, known)
            closes_at = changes.get("closes_at")
            if (
                round_.status == RoundStatus.OPEN
                and isinstance(closes_at, dt.datetime)
                and closes_at < round_.closes_at
            ):
                violations.append(FieldViolation("closes_at", Text("an open round's deadline can only be extended")))
            if violations:
                raise InvalidArgument(Text("the change is not valid"), violations=violations)
            for name, value in changes.items():
                setattr(round_, name, list(dict.fromkeys(value)) if isinstance(value, list) else value)
            if session.is_modified(round_):
                round_.updated_at = now
        return round_

    async def get_round(self, principal: Principal, round_id: str) -> Round:
        async with self._sessions() as session:
            round_ = await self._visible_round(session, principal, round_id)
        if _past_deadline(round_, utc_now()):
            await self.close_due_rounds()
            async with self._sessions() as session:
                round_ = await self._visible_round(session, principal, round_id)
        return round_

    async def list_rounds(
        self, principal: Principal, limit: int, cursor: str, status: RoundStatus | None
    ) -> Page[Round]:
        principal.require_any_role(*NETWORK_WIDE, *CITY_READERS)
        visible = [s.value for s in RoundStatus if _may_see_status(principal, s)]
        if status is not None and status.value not in visible:
            return Page([], "")
        statuses = [status.value] if status is not None else visible
        window = PageWindow.requested(limit, cursor)
        async with self._sessions() as session:
            rounds = await repository.rounds_after(session, window.after, window.fetch, statuses)
        if any(_past_deadline(r, utc_now()) for r in rounds):
            await self.close_due_rounds()  # then read again, so the page shows them closed
            async with self._sessions() as session:
                rounds = await repository.rounds_after(session, window.after, window.fetch, statuses)
        return window.close(rounds, lambda r: r.id)

    async def transition_round(
        self,
        principal: Principal,
        round_id: str,
        action: str,
        expected_version: int,
        reason: str = "",
        tender_id: str = "",
    ) -> Round:
        """open | close | cancel | bundle, by a procurement lead of the owner city."""
        principal.require_any_role(Role.PROCUREMENT_LEAD)
        if action == "cancel" and not reason.strip():
            raise InvalidArgument.for_field("reason", Text("say why the round is cancelled; the cities will read it"))
        if action == "bundle" and not tender_id.strip():
            raise InvalidArgument.for_field("tender_id", Text("name the tender the round became"))
        await self.close_due_rounds()  # a round past its deadline is closed before anything else happens
        members = await self._items.member_cities() if action == "open" else []
        now = utc_now()
        async with self._writing() as session:
            round_ = await self._round_of_owner(session, principal, round_id, expected_version)
            new_status = rules.check_transition(action, round_.status)
            if action == "open" and round_.closes_at <= now:
                raise StateConflict(
                    Text(
                        "the round would close at once: its closing time ({closes_at}) has passed",
                        closes_at=round_.closes_at,
                    ),
                    round_.status,
                )
            round_.status = new_status.value
            round_.status_changed_at = now
            round_.status_changed_by = principal.username
            round_.updated_at = now
            if action == "cancel":
                round_.cancel_reason = reason.strip()
            if action == "bundle":
                round_.tender_id = tender_id.strip()
            if action == "open":
                round_.member_city_ids = members
                session.add(_opened_notice(round_))
        return round_

    async def close_due_rounds(self) -> int:
        """Close the open rounds whose closing time has passed (also run periodically)."""
        async with write_transaction(self._sessions) as session:
            return await repository.close_due_rounds(session, utc_now())

    async def remind_closing_rounds(self) -> int:
        """Tell the IT of each member city without lines that an open round closes within 3 days (also run
        periodically): once per round and city, however often it runs. A round opened less than 3 days before
        it closes reminds nobody: its opening told the deadline just now. The number of reminders added."""
        now = utc_now()
        added = 0
        async with write_transaction(self._sessions) as session:
            for round_ in await repository.rounds_closing_between(session, now, now + CLOSING_REMINDER):
                opened_at = round_.status_changed_at or round_.opens_at
                if round_.closes_at - opened_at <= CLOSING_REMINDER:
                    continue
                with_lines = await repository.cities_with_lines(session, round_.id)
                for city_id in sorted(set(round_.member_city_ids) - with_lines):
                    added += await notify.add_once(session, _closing_notice(round_, city_id))
        return added

    # -- lines -----------------------------------------------------------------------------

    async def create_line(self, principal: Principal, draft: LineDraft) -> Line:
        _require_city_writer(principal, draft.city_id)
        await references.require_active(self._items, references.cities("city_id", [draft.city_id]))
        now = utc_now()
        violations = rules.line_violations(draft.quantity, draft.needed_by, draft.justification, network_date(now))
        if violations:
            raise InvalidArgument(Text("the demand line is not valid"), violations=violations)
        item = (await self._items.by_ids([draft.item_id])).get(draft.item_id)
        async with self._writing() as session:
            round_, now = await self._accepting_round(session, draft.round_id, lock="share")
            _check_item(round_, item, draft.item_id)
            line = _new_line(draft, principal.username, now)
            session.add(line)
            await session.flush()
            session.add(_snapshot(line, "created", principal.username, now))
        return line

    async def get_line(self, principal: Principal, round_id: str, line_id: str) -> Line:
        async with self._sessions() as session:
            return await self._visible_line(session, principal, round_id, line_id)

    async def list_lines(
        self, principal: Principal, where: repository.LineFilter, limit: int, cursor: str
    ) -> Page[Line]:
        own_city = _readable_city(principal)
        if own_city is not None and where.city_id not in (None, own_city):
            raise PermissionDenied(
                Text("{user} may see only the demand of {city}", user=principal.username, city=own_city)
            )
        if own_city is not None:
            where = repository.LineFilter(where.round_id, own_city, where.item_id, where.status)
        window = PageWindow.requested(limit, cursor)
        async with self._sessions() as session:
            await self._visible_round(session, principal, where.round_id)
            lines = await repository.lines_after(session, where, window.after, window.fetch)
        return window.close(lines, lambda line: line.id)

    async def update_line(
        self, principal: Principal, round_id: str, line_id: str, changes: Mapping[str, object], expected_version: int
    ) -> Line:
        """Change quantity, needed_by, justification or priority of a submitted line."""
        if not changes:
            raise InvalidArgument.for_field("update_mask", Text("name at least one field to change"))
        if not expected_version:
            raise InvalidArgument.for_field(
                "expected_version", Text("send the version you changed, so no edit is lost")
            )
        now = utc_now()
        quantity, needed_by, justification = (changes.get(name) for name in ("quantity", "needed_by", "justification"))
        violations = rules.line_violations(
            quantity if isinstance(quantity, int) else None,
            needed_by if isinstance(needed_by, dt.date) else None,
            justification if isinstance(justification, str) else None,
            network_date(now),
        )
        if violations:
            raise InvalidArgument(Text("the change is not valid"), violations=violations)
        async with self._writing() as session:
            line, now = await self._writable_line(session, principal, round_id, line_id, expected_version)
            if line.status != LineStatus.SUBMITTED:
                raise StateConflict(Text("the line is withdrawn; add a new line instead"), line.status)
            for name, value in changes.items():
                setattr(line, name, value.value if isinstance(value, Priority) else value)
            if not session.is_modified(line):
                return line  # nothing changed: no new version
            line.updated_by, line.updated_at = principal.username, now
            await session.flush()
            session.add(_snapshot(line, "updated", principal.username, now))
        return line

    async def withdraw_line(self, principal: Principal, round_id: str, line_id: str, expected_version: int) -> Line:
        async with self._writing() as session:
            line, now = await self._writable_line(session, principal, round_id, line_id, expected_version)
            if line.status == LineStatus.WITHDRAWN:
                return line  # withdrawing twice is harmless
            line.status = LineStatus.WITHDRAWN.value
            line.updated_by, line.updated_at = principal.username, now
            await session.flush()
            session.add(_snapshot(line, "withdrawn", principal.username, now))
        return line

    async def line_history(self, principal: Principal, round_id: str, line_id: str) -> tuple[Line, list[HistoryEntry]]:
        async with self._sessions() as session:
            line = await self._visible_line(session, principal, round_id, line_id)
            versions = await repository.line_versions(session, line_id)
        entries, previous = [], None
        for version in versions:
            changes = [
                (name, _text(getattr(previous, name)) if previous else "", _text(getattr(version, name)))
                for name in LINE_FIELDS
                if previous is None or getattr(previous, name) != getattr(version, name)
            ]
            entries.append(HistoryEntry(version, changes))
            previous = version
        return line, entries

    # -- aggregation -----------------------------------------------------------------------

    async def aggregate(self, principal: Principal, round_id: str) -> Aggregation:
        principal.require_any_role(*NETWORK_WIDE, *CITY_READERS)
        network_wide = _readable_city(principal) is None
        finance_only = principal.has_any_role([Role.FINANCE]) and not principal.has_any_role([Role.CITY_IT])
        own_city = None if network_wide else principal.city
        totals_city = own_city if finance_only else None  # finance sees its own city's numbers only
        async with self._sessions() as session:
            await self._visible_round(session, principal, round_id)
        rows = await repository.totals_by_item_and_city(self._sessions, round_id, totals_city)
        catalog = await self._items.by_ids(sorted({row.item_id for row in rows}))  # the replica's, mostly
        by_item: dict[str, ItemAggregate] = {}
        visible = {city: principal.sees_city(city) for city in {row.city_id for row in rows}}  # once per city
        for item_id, city_id, quantity, line_count in rows:  # thousands: unpacked, one aggregate per item
            aggregate = by_item.get(item_id)
            if aggregate is None:
                item = catalog.get(item_id) or CatalogItem(item_id, "", "(not in the catalog)", "", "", 0, False)
                aggregate = by_item[item_id] = ItemAggregate(item)
            aggregate.total_quantity += quantity
            aggregate.line_count += line_count
            aggregate.city_count += 1
            if visible[city_id]:
                cost = quantity * aggregate.item.reference_price_cents
                aggregate.cities.append(CityTotal(city_id, quantity, line_count, cost))
        items = sorted(by_item.values(), key=lambda a: (a.item.sku, a.item.id))
        for aggregate in items:
            aggregate.cities.sort(key=lambda c: c.city_id)
        if any(a.estimated_cents > MAX_CENTS for a in items) or sum(a.estimated_cents for a in items) > MAX_CENTS:
            raise FailedPrecondition(
                Text("the estimated value is beyond 92 quadrillion euro cents: check the catalog's reference prices")
            )
        view = "network" if network_wide else ("own-city" if finance_only else "city")
        return Aggregation(round_id, items, view, own_city or "", len(visible))

    # -- imports ---------------------------------------------------------------------------

    async def import_lines(
        self, principal: Principal, round_id: str, city_id: str, mode: ImportMode, file_name: str,
        rows: Sequence[imports.RawRow],
    ) -> tuple[Import, bool]:  # fmt: skip
        """All rows or none; the import record and whether it replays an earlier identical add."""
        _require_city_writer(principal, city_id)
        await references.require_active(self._items, references.cities("city_id", [city_id]))
        async with self._closing_late_rounds(), self._sessions() as session:
            scope_round, now = await self._accepting_round(session, round_id, lock=None)

        def in_scope(item: CatalogItem) -> bool:
            return rules.in_scope(item.id, item.cpv_code, scope_round.scope_item_ids, scope_round.scope_cpv_prefixes)

        lines = await imports.resolve_rows(rows, self._items, in_scope, network_date(now))
        digest = imports.content_sha256(lines)
        add_once_key = f"{round_id}:{city_id}:{digest}" if mode == ImportMode.ADD else None
        try:
            async with self._writing() as session:
                # The round row locked for update: imports into one round run one at a time, so two
                # replace imports of a city cannot both see the old lines.
                _, now = await self._accepting_round(session, round_id, lock="update")
                if add_once_key is not None:
                    earlier = await repository.import_added_before(session, add_once_key)
                    if earlier is not None and await repository.import_lines_untouched(session, earlier):
                        return earlier, True
                    if earlier is not None:  # its lines were changed since: the same file adds them again
                        earlier.add_once_key = None
                        await session.flush()
                record = Import(
                    id=time_ordered_id(), round_id=round_id, city_id=city_id, mode=mode.value,
                    file_name=file_name[:255], content_sha256=digest, add_once_key=add_once_key, rows=len(rows),
                    created=0, withdrawn=0, unchanged=0, imported_by=principal.username, imported_at=now,
                )  # fmt: skip
                session.add(record)
                await session.flush()
                await self._apply_import(session, record, lines, principal.username, now)
        except IntegrityError as error:
            # Only on PostgreSQL without the lock's help (e.g. a retry racing its original): the
            # same content was added by the other call, which is what this one wanted.
            if integrity_violation(error) != "unique" or add_once_key is None:
                raise
            async with self._sessions() as session:
                earlier = await repository.import_added_before(session, add_once_key)
            if earlier is None:
                raise
            return earlier, True
        return record, False

    async def _apply_import(
        self, session: AsyncSession, record: Import, lines: list[imports.ImportedLine], user: str, now: dt.datetime
    ) -> None:
        if record.mode == ImportMode.REPLACE:
            existing = await repository.submitted_lines(session, record.round_id, record.city_id)
            plan = imports.plan_replace(existing, lines)
            for line in plan.withdraw:
                line.status = LineStatus.WITHDRAWN.value
                line.updated_by, line.updated_at = user, now
            to_create, record.withdrawn, record.unchanged = plan.create, len(plan.withdraw), len(plan.unchanged)
        else:
            to_create = lines
        new_lines = [
            _new_line(
                LineDraft(record.round_id, record.city_id, new.item_id, new.quantity, new.needed_by,
                          new.justification, new.priority),
                user,
                now,
            )
            for new in to_create
        ]  # fmt: skip
        session.add_all(new_lines)
        record.created = len(new_lines)
        await session.flush()
        withdrawn = plan.withdraw if record.mode == ImportMode.REPLACE else []
        session.add_all(
            [_snapshot(line, "created", user, now, record.id) for line in new_lines]
            + [_snapshot(line, "withdrawn", user, now, record.id) for line in withdrawn]
        )

    # -- shared steps ----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _closing_late_rounds(self) -> AsyncIterator[None]:
        """A request that found its round past the deadline closes it (after its own rollback)."""
        try:
            yield
        except rules.RoundPastDeadline:
            await self.close_due_rounds()
            raise

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        async with self._closing_late_rounds():
            try:
                async with write_transaction(self._sessions) as session:
                    yield session
            except StaleDataError:
                raise VersionConflict(Text("the demand line"), 0) from None

    async def _round_of_owner(
        self, session: AsyncSession, principal: Principal, round_id: str, expected_version: int
    ) -> Round:
        """The round locked for a change by a lead of its city, at the version the lead saw (0: any)."""
        round_ = await repository.get_round(session, round_id, lock="update")
        if round_ is None or not _may_see_status(principal, RoundStatus(round_.status)):
            raise NotFound(Text("demand round {id} does not exist", id=round_id))
        if round_.owner_city_id != principal.city:
            raise PermissionDenied(
                Text(
                    "only a procurement lead of {city}, which owns the round, may change it", city=round_.owner_city_id
                )
            )
        if expected_version and expected_version != round_.version:
            raise VersionConflict(Text("demand round {id}", id=round_id), expected_version, round_.version)
        return round_

    async def _visible_round(self, session: AsyncSession, principal: Principal, round_id: str) -> Round:
        principal.require_any_role(*NETWORK_WIDE, *CITY_READERS)
        round_ = await repository.get_round(session, round_id)
        if round_ is None or not _may_see_status(principal, RoundStatus(round_.status)):
            raise NotFound(Text("demand round {id} does not exist", id=round_id))
        return round_

    async def _accepting_round(
        self, session: AsyncSession, round_id: str, *, lock: repository.Lock
    ) -> tuple[Round, dt.datetime]:
        """The round, if it accepts demand now, and the time of that check.

        The time is taken after the round row is locked (PostgreSQL): a close waits for the
        write, and a write that waited for a close sees it.
        """
        round_ = await repository.get_round(session, round_id, lock=lock)
        now = utc_now()
        if round_ is None or round_.status == RoundStatus.DRAFT:
            raise NotFound(Text("demand round {id} does not exist", id=round_id))
        rules.check_accepting_demand(round_.status, round_.opens_at, round_.closes_at, now)
        return round_, now

    async def _visible_line(self, session: AsyncSession, principal: Principal, round_id: str, line_id: str) -> Line:
        await self._visible_round(session, principal, round_id)
        line = await repository.get_line(session, round_id, line_id)
        own_city = _readable_city(principal)
        if line is None or (own_city is not None and line.city_id != own_city):
            raise NotFound(
                Text("demand line {line} does not exist in round {round}", line=line_id, round=round_id)
            )  # same for foreign lines
        return line

    async def _writable_line(
        self, session: AsyncSession, principal: Principal, round_id: str, line_id: str, expected: int
    ) -> tuple[Line, dt.datetime]:
        principal.require_any_role(Role.CITY_IT)
        _, now = await self._accepting_round(session, round_id, lock="share")
        line = await repository.get_line(session, round_id, line_id, for_update=True)
        if line is None or line.city_id != principal.city:
            raise NotFound(Text("demand line {line} does not exist in round {round}", line=line_id, round=round_id))
        if expected and expected != line.version:
            raise VersionConflict(Text("demand line {id}", id=line_id), expected, line.version)
        return line, now


def _round_values(round_: Round) -> dict[str, str]:
    return {"round_title": round_.title, "closes_at": round_.closes_at.isoformat(), "path": f"rounds/{round_.id}"}


def _opened_notice(round_: Round) -> NotificationOrder:
    """The e-mail event of an opened round: the IT of every member city is told (in the opening transaction)."""
    audiences = [notify.audience(role=Role.CITY_IT.value, city_id=city) for city in round_.member_city_ids]
    row: NotificationOrder = notify.outbox_row(NotificationOrder, f"demand/round-opened/{round_.id}", "round_opened",
                                               audiences, _round_values(round_))  # fmt: skip
    return row


def _closing_notice(round_: Round, city_id: str) -> NotificationOrder:
    """The reminder of a round closing soon for one city without lines (a sweep adds it once, by its key)."""
    row: NotificationOrder = notify.outbox_row(NotificationOrder, f"demand/round-closing/{round_.id}/{city_id}",
                                               "round_closing", [notify.audience(role=Role.CITY_IT.value,
                                               city_id=city_id)], _round_values(round_))  # fmt: skip
    return row


def _require_city_writer(principal: Principal, city_id: str) -> None:
    principal.require_any_role(Role.CITY_IT)
    if principal.city is None:
        raise PermissionDenied(Text("{user} belongs to no city, so cannot register demand", user=principal.username))
    if city_id != principal.city:
        raise PermissionDenied(
            Text(
                "{user} registers demand for {city} only, not for {other}",
                user=principal.username,
                city=principal.city,
                other=city_id or "-",
            )
        )


def _readable_city(principal: Principal) -> str | None:
    """The one city whose lines the caller may read, or None for every city."""
    if principal.has_any_role(NETWORK_WIDE):
        return None
    if principal.has_any_role([Role.FINANCE]) and principal.city is None:
        return None  # network-level finance
    principal.require_any_role(*CITY_READERS)
    if principal.city is None:
        raise PermissionDenied(Text("{user} belongs to no city", user=principal.username))
    return principal.city


def _may_see_status(principal: Principal, status: RoundStatus) -> bool:
    return status != RoundStatus.DRAFT or principal.has_any_role(NETWORK_WIDE)


def _past_deadline(round_: Round, now: dt.datetime) -> bool:
    return round_.status == RoundStatus.OPEN and round_.closes_at <= now


def _check_item(round_: Round, item: CatalogItem | None, item_id: str) -> None:
    if item is None or not item.active:
        raise InvalidArgument.for_field("item_id", Text("{item} is not an active catalog item", item=repr(item_id)))
    if not rules.in_scope(item.id, item.cpv_code, round_.scope_item_ids, round_.scope_cpv_prefixes):
        raise InvalidArgument.for_field(
            "item_id", Text("{sku} ({name}) is not among the items this round asks for", sku=item.sku, name=item.name)
        )


def _new_line(draft: LineDraft, user: str, now: dt.datetime) -> Line:
    return Line(
        id=time_ordered_id(),
        round_id=draft.round_id,
        city_id=draft.city_id,
        item_id=draft.item_id,
        quantity=draft.quantity,
        needed_by=draft.needed_by,
        justification=draft.justification,
        priority=draft.priority.value,
        status=LineStatus.SUBMITTED.value,
        created_by=user,
        created_at=now,
        updated_by=user,
        updated_at=now,
    )


def _snapshot(line: Line, change: str, user: str, now: dt.datetime, import_id: str | None = None) -> LineVersion:
    return LineVersion(
        line_id=line.id,
        version=line.version,
        change=change,
        changed_by=user,
        changed_at=now,
        import_id=import_id,
        **{name: getattr(line, name) for name in LINE_FIELDS},  # what the history compares
    )


def _text(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def _unknown_scope_items(item_ids: Sequence[str], known: Mapping[str, CatalogItem]) -> list[FieldViolation]:
    return [
        FieldViolation(f"scope_item_ids[{index}]", Text("{item} is not an active catalog item", item=repr(item_id)))
        for index, item_id in enumerate(item_ids)
        if item_id not in known or not known[item_id].active
    ]


def _touches(field: str, changes: Mapping[str, object]) -> bool:
    """Whether a violation concerns what is being changed (closes_at also answers for opens_at)."""
    name = field.split("[", 1)[0]
    return name in changes or (name == "closes_at" and "opens_at" in changes)


def _round_violations(draft: RoundDraft, now: dt.datetime) -> list[FieldViolation]:
    violations = rules.scope_violations(draft.scope_item_ids, draft.scope_cpv_prefixes)
    if not draft.title.strip():
        violations.append(FieldViolation("title", Text("must not be empty")))
    elif len(draft.title) > 200:
        violations.append(FieldViolation("title", Text("must have at most {limit} characters", limit=200)))
    if draft.opens_at is None:
        violations.append(FieldViolation("opens_at", Text("when does the round open?")))
    if draft.closes_at is None:
        violations.append(FieldViolation("closes_at", Text("when does the round close?")))
    elif draft.closes_at <= now:
        violations.append(FieldViolation("closes_at", Text("must lie in the future")))
    if draft.opens_at and draft.closes_at and draft.opens_at >= draft.closes_at:
        violations.append(FieldViolation("closes_at", Text("must come after opens_at")))
    return violations
