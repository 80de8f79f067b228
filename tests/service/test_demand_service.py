"""The demand rules on real databases (SQLite and PostgreSQL): rounds, lines, history, imports."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from civicpool_catalog.models import Item
from civicpool_catalog.service import ITEMS, CatalogService
from civicpool_cli import demo
from civicpool_common import messages
from civicpool_common.auth import Principal
from civicpool_common.database import create_engine, session_factory, utc_now
from civicpool_common.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, VersionConflict
from civicpool_common.lifecycle import StateConflict
from civicpool_common.messages import Text
from civicpool_common.vocabulary import ImportMode, LineStatus, Priority, RoundStatus
from civicpool_demand.imports import RawRow
from civicpool_demand.models import Line, NotificationOrder, Round
from civicpool_demand.repository import LineFilter
from civicpool_demand.rules import RoundPastDeadline
from civicpool_demand.service import DemandService, LineDraft, RoundDraft
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.service.conftest import ADMIN, LEAD, OTHER_LEAD, VENDOR, add_member_cities, city_it, finance
from tests.service.test_catalog_service import JITSI, LAPTOP
from tests.support.catalog_directory import InProcessDirectory
from tests.support.databases import DatabaseFactory

BRUCHSAL, BUEHL = city_it("bruchsal"), city_it("buehl")


@dataclass
class Demand:
    service: DemandService
    engine: AsyncEngine
    laptop: Item
    jitsi: Item

    async def open_round(self, **scope: Any) -> Round:
        now = utc_now()
        draft = RoundDraft("Notebooks 2027", "", now - dt.timedelta(minutes=1), now + dt.timedelta(days=30), **scope)
        created = await self.service.create_round(LEAD, draft)
        return await self.service.transition_round(LEAD, created.id, "open", 0)

    async def line(
        self, round_id: str, who: Principal = BRUCHSAL, quantity: int = 40, item: Item | None = None
    ) -> Line:
        draft = LineDraft(round_id, who.city or "", (item or self.laptop).id, quantity, None, "", Priority.NORMAL)
        return await self.service.create_line(who, draft)

    async def move_deadline_to_the_past(self, round_id: str) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(
                update(Round).where(Round.id == round_id).values(closes_at=utc_now() - dt.timedelta(seconds=1))
            )

    async def count_lines(self) -> int:
        async with self.engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(Line)) or 0)


@pytest.fixture
async def demand(databases: DatabaseFactory, catalog: CatalogService) -> AsyncIterator[Demand]:
    laptop = await catalog.create(ADMIN, ITEMS, LAPTOP)
    jitsi = await catalog.create(ADMIN, ITEMS, JITSI)
    await add_member_cities(catalog)
    engine = create_engine(databases.fresh("civicpool_demand:migrations"))
    yield Demand(DemandService(session_factory(engine), InProcessDirectory(catalog)), engine, laptop, jitsi)
    await engine.dispose()


# -- the round's state machine ------------------------------------------------------------------

ACTIONS = ("open", "close", "cancel", "bundle")
ALLOWED = {
    ("draft", "open"), ("draft", "cancel"), ("open", "close"), ("open", "cancel"), ("closed", "cancel"),
    ("closed", "bundle"),
}  # fmt: skip
PATH_TO = {"draft": [], "open": ["open"], "closed": ["open", "close"], "bundled": ["open", "close", "bundle"],
           "cancelled": ["cancel"]}  # fmt: skip


async def _round_in(demand: Demand, status: str) -> Round:
    now = utc_now()
    round_ = await demand.service.create_round(LEAD, RoundDraft("R", "", now, now + dt.timedelta(days=1)))
    for action in PATH_TO[status]:
        round_ = await demand.service.transition_round(LEAD, round_.id, action, 0, reason="x", tender_id="t-1")
    assert round_.status == status
    return round_


@pytest.mark.parametrize("status", list(PATH_TO))
@pytest.mark.parametrize("action", ACTIONS)
async def test_every_transition_is_allowed_or_refused_naming_the_current_state(
    demand: Demand, status: str, action: str
) -> None:
    round_ = await _round_in(demand, status)
    if (status, action) in ALLOWED:
        moved = await demand.service.transition_round(LEAD, round_.id, action, round_.version, "why", "t-9")
        assert moved.status != status and moved.status_changed_by == "ettlingen.lead"
        assert moved.version == round_.version + 1
    else:
        with pytest.raises(StateConflict) as refusal:
            await demand.service.transition_round(LEAD, round_.id, action, 0, "why", "t-9")
        assert refusal.value.metadata["current_status"] == status
        assert f"the round is {messages.label('en', 'round', status)}; " in str(refusal.value.message)
        assert (await demand.service.get_round(LEAD, round_.id)).status == status


async def test_only_a_lead_of_the_owner_city_moves_a_round(demand: Demand) -> None:
    round_ = await _round_in(demand, "draft")
    for who, error in ((OTHER_LEAD, PermissionDenied), (BRUCHSAL, PermissionDenied), (ADMIN, PermissionDenied)):
        with pytest.raises(error):
            await demand.service.transition_round(who, round_.id, "open", 0)
    assert (await demand.service.get_round(LEAD, round_.id)).status == "draft"


async def test_cancel_needs_a_reason_and_keeps_it(demand: Demand) -> None:
    round_ = await _round_in(demand, "open")
    with pytest.raises(InvalidArgument, match="say why"):
        await demand.service.transition_round(LEAD, round_.id, "cancel", 0, reason="  ")
    cancelled = await demand.service.transition_round(LEAD, round_.id, "cancel", 0, reason="Bedarf entfällt")
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "Bedarf entfällt")


async def test_a_stale_version_does_not_move_the_round(demand: Demand) -> None:
    round_ = await _round_in(demand, "draft")
    with pytest.raises(VersionConflict):
        await demand.service.transition_round(LEAD, round_.id, "open", round_.version + 1)


async def test_drafts_are_hidden_from_city_users_and_vendors_see_no_rounds(demand: Demand) -> None:
    draft = await _round_in(demand, "draft")
    opened = await _round_in(demand, "open")
    seen = await demand.service.list_rounds(BRUCHSAL, 0, "", None)
    assert [r.id for r in seen.records] == [opened.id]
    with pytest.raises(NotFound):
        await demand.service.get_round(BRUCHSAL, draft.id)
    assert {r.id for r in (await demand.service.list_rounds(LEAD, 0, "", None)).records} == {draft.id, opened.id}
    with pytest.raises(PermissionDenied):
        await demand.service.list_rounds(VENDOR, 0, "", None)


# -- deadlines ----------------------------------------------------------------------------------


async def test_a_line_sent_after_closes_at_is_refused_and_closes_the_round(demand: Demand) -> None:
    round_ = await demand.open_round()
    await demand.line(round_.id)
    await demand.move_deadline_to_the_past(round_.id)
    with pytest.raises(RoundPastDeadline, match="closed at"):
        await demand.line(round_.id)
    assert await demand.count_lines() == 1
    closed = await demand.service.get_round(LEAD, round_.id)
    assert (closed.status, closed.status_changed_by) == ("closed", "system")


async def test_the_periodic_task_closes_due_rounds_and_only_those(demand: Demand) -> None:
    due, running = await demand.open_round(), await demand.open_round()
    await demand.move_deadline_to_the_past(due.id)
    assert await demand.service.close_due_rounds() == 1
    assert await demand.service.close_due_rounds() == 0
    assert (await demand.service.get_round(LEAD, due.id)).status == "closed"
    assert (await demand.service.get_round(LEAD, running.id)).status == "open"


async def test_reading_an_overdue_round_shows_it_closed(demand: Demand) -> None:
    round_ = await demand.open_round()
    await demand.move_deadline_to_the_past(round_.id)
    assert (await demand.service.get_round(BRUCHSAL, round_.id)).status == "closed"


async def test_no_demand_before_opens_at_or_in_a_draft(demand: Demand) -> None:
    now = utc_now()
    later = await demand.service.create_round(
        LEAD, RoundDraft("later", "", now + dt.timedelta(days=1), now + dt.timedelta(days=2))
    )
    with pytest.raises(NotFound):
        await demand.line(later.id)  # a draft is invisible to city IT
    await demand.service.transition_round(LEAD, later.id, "open", 0)
    with pytest.raises(StateConflict, match="accepts demand from"):
        await demand.line(later.id)


# -- lines --------------------------------------------------------------------------------------


async def test_city_it_writes_only_its_own_city(demand: Demand) -> None:
    round_ = await demand.open_round()
    draft = LineDraft(round_.id, "buehl", demand.laptop.id, 5, None, "", Priority.NORMAL)
    with pytest.raises(PermissionDenied, match="bruchsal only"):
        await demand.service.create_line(BRUCHSAL, draft)
    for who in (LEAD, finance("buehl"), ADMIN):
        with pytest.raises(PermissionDenied):
            await demand.service.create_line(who, draft)
    assert await demand.count_lines() == 0


async def test_foreign_lines_are_invisible_and_untouchable(demand: Demand) -> None:
    round_ = await demand.open_round()
    line = await demand.line(round_.id, BRUCHSAL)
    for attempt in (
        demand.service.get_line(BUEHL, round_.id, line.id),
        demand.service.line_history(BUEHL, round_.id, line.id),
        demand.service.update_line(BUEHL, round_.id, line.id, {"quantity": 1}, line.version),
        demand.service.withdraw_line(BUEHL, round_.id, line.id, 0),
        demand.service.get_line(finance("buehl"), round_.id, line.id),
    ):
        with pytest.raises(NotFound):
            await attempt
    with pytest.raises(PermissionDenied):
        await demand.service.list_lines(BUEHL, LineFilter(round_.id, city_id="bruchsal"), 0, "")
    assert (await demand.service.list_lines(BUEHL, LineFilter(round_.id), 0, "")).records == []
    assert len((await demand.service.list_lines(LEAD, LineFilter(round_.id), 0, "")).records) == 1
    assert len((await demand.service.list_lines(finance(None), LineFilter(round_.id), 0, "")).records) == 1
    assert (await demand.service.get_line(BRUCHSAL, round_.id, line.id)).quantity == 40


async def test_items_outside_the_scope_or_unknown_are_refused(demand: Demand) -> None:
    round_ = await demand.open_round(scope_cpv_prefixes=["302"])
    await demand.line(round_.id, item=demand.laptop)
    with pytest.raises(InvalidArgument, match="not among the items"):
        await demand.line(round_.id, item=demand.jitsi)
    draft = LineDraft(round_.id, "bruchsal", "no-such-item", 1, None, "", Priority.NORMAL)
    with pytest.raises(InvalidArgument, match="not an active catalog item"):
        await demand.service.create_line(BRUCHSAL, draft)


@pytest.mark.parametrize("quantity", [0, -1, 1_000_001])
async def test_quantities_are_positive_whole_numbers(demand: Demand, quantity: int) -> None:
    round_ = await demand.open_round()
    with pytest.raises(InvalidArgument) as refusal:
        await demand.line(round_.id, quantity=quantity)
    assert [v.field for v in refusal.value.violations] == ["quantity"]
    assert await demand.count_lines() == 0


async def test_every_change_is_a_version_with_who_when_and_old_to_new(demand: Demand) -> None:
    round_ = await demand.open_round()
    line = await demand.line(round_.id, quantity=40)
    needed = utc_now().date() + dt.timedelta(days=90)
    changed = await demand.service.update_line(
        BRUCHSAL, round_.id, line.id, {"quantity": 45, "needed_by": needed, "priority": Priority.HIGH}, 1
    )
    assert changed.version == 2
    unchanged = await demand.service.update_line(BRUCHSAL, round_.id, line.id, {"quantity": 45}, 2)
    assert unchanged.version == 2  # nothing changed, no new version
    with pytest.raises(VersionConflict) as conflict:
        await demand.service.update_line(BRUCHSAL, round_.id, line.id, {"quantity": 50}, 1)
    assert conflict.value.metadata["current_version"] == "2"
    await demand.service.withdraw_line(BRUCHSAL, round_.id, line.id, 2)
    _, history = await demand.service.line_history(LEAD, round_.id, line.id)
    assert [(e.version.version, e.version.change, e.version.changed_by) for e in history] == [
        (1, "created", "bruchsal.it"),
        (2, "updated", "bruchsal.it"),
        (3, "withdrawn", "bruchsal.it"),
    ]
    assert history[1].changes == [
        ("quantity", "40", "45"),
        ("needed_by", "", needed.isoformat()),
        ("priority", "normal", "high"),
    ]
    assert history[2].changes == [("status", "submitted", "withdrawn")]
    with pytest.raises(StateConflict, match="withdrawn"):
        await demand.service.update_line(BRUCHSAL, round_.id, line.id, {"quantity": 1}, 3)


async def test_lines_freeze_when_the_round_closes(demand: Demand) -> None:
    round_ = await demand.open_round()
    line = await demand.line(round_.id)
    await demand.service.transition_round(LEAD, round_.id, "close", 0)
    with pytest.raises(StateConflict, match="the round is closed"):
        await demand.service.update_line(BRUCHSAL, round_.id, line.id, {"quantity": 1}, 1)
    with pytest.raises(StateConflict):
        await demand.service.withdraw_line(BRUCHSAL, round_.id, line.id, 0)


# -- aggregation views --------------------------------------------------------------------------


async def test_each_role_sees_its_view_of_the_aggregation(demand: Demand) -> None:
    round_ = await demand.open_round()
    await demand.line(round_.id, BRUCHSAL, 40)
    await demand.line(round_.id, BRUCHSAL, 2, item=demand.jitsi)
    await demand.line(round_.id, BUEHL, 10)
    withdrawn = await demand.line(round_.id, BUEHL, 1000)
    await demand.service.withdraw_line(BUEHL, round_.id, withdrawn.id, 0)

    network = await demand.service.aggregate(LEAD, round_.id)
    laptop = next(i for i in network.items if i.item.sku == "LAPTOP-14")
    assert (laptop.total_quantity, laptop.city_count, laptop.estimated_cents) == (50, 2, 50 * 89_900)
    assert [(c.city_id, c.quantity) for c in laptop.cities] == [("bruchsal", 40), ("buehl", 10)]
    assert network.total_estimated_cents == 50 * 89_900 + 2 * 1_800
    assert (network.view, network.city_count) == ("network", 2)

    own = await demand.service.aggregate(BUEHL, round_.id)
    laptop = next(i for i in own.items if i.item.sku == "LAPTOP-14")
    assert laptop.total_quantity == 50 and [c.city_id for c in laptop.cities] == ["buehl"]
    assert own.view == "city"

    money = await demand.service.aggregate(finance("buehl"), round_.id)
    assert [(i.item.sku, i.total_quantity) for i in money.items] == [("LAPTOP-14", 10)]
    assert money.view == "own-city"
    with pytest.raises(PermissionDenied):
        await demand.service.aggregate(VENDOR, round_.id)


# -- imports ------------------------------------------------------------------------------------


def row(line: int, sku: str = "LAPTOP-14", quantity: str = "40", **values: str) -> RawRow:
    fields = {"cpv_code": "", "name": "", "needed_by": "", "justification": "", "priority": ""} | values
    return RawRow(line, sku, fields["cpv_code"], fields["name"], quantity, fields["needed_by"],
                  fields["justification"], fields["priority"])  # fmt: skip


async def _import(demand: Demand, round_id: str, rows: list[RawRow], mode: ImportMode = ImportMode.ADD) -> Any:
    return await demand.service.import_lines(BRUCHSAL, round_id, "bruchsal", mode, "bedarf.csv", rows)


async def test_an_import_adds_once_and_replace_keeps_what_the_file_repeats(demand: Demand) -> None:
    round_ = await demand.open_round()
    next_year = f"{utc_now().date() + dt.timedelta(days=365):%d.%m.%Y}"
    rows = [row(2, quantity="1.000", needed_by=next_year, priority="hoch"),
            row(3, sku="", cpv_code="48515000-1", name="jitsi, SELBST gehostet", quantity="12")]  # fmt: skip
    record, replayed = await _import(demand, round_.id, rows)
    assert (record.created, replayed) == (2, False)
    again, replayed = await _import(demand, round_.id, list(reversed(rows)))
    assert (again.id, replayed) == (record.id, True)
    assert await demand.count_lines() == 2

    replaced, _ = await _import(demand, round_.id, [rows[0], row(4, quantity="7")], ImportMode.REPLACE)
    assert (replaced.created, replaced.withdrawn, replaced.unchanged) == (1, 1, 1)
    same, _ = await _import(demand, round_.id, [rows[0], row(4, quantity="7")], ImportMode.REPLACE)
    assert (same.created, same.withdrawn, same.unchanged) == (0, 0, 2)
    lines = (await demand.service.list_lines(BRUCHSAL, LineFilter(round_.id, status="submitted"), 0, "")).records
    assert sorted((line.quantity, line.priority) for line in lines) == [(7, "normal"), (1000, "high")]


async def test_a_file_with_any_bad_row_changes_nothing_and_names_every_problem(demand: Demand) -> None:
    round_ = await demand.open_round(scope_cpv_prefixes=["302"])
    await demand.line(round_.id)
    rows = [
        row(2),
        row(3, quantity="zwölf"),
        row(4, quantity="0"),
        row(5, needed_by="31.02.2027"),
        row(6, needed_by="01.01.2001"),
        row(7, sku="NO-SUCH"),
        row(8, sku="VC-JITSI"),
        row(9, sku="", name="only a name"),
        row(10, priority="dringend"),
        row(11, quantity="1,5"),
    ]
    with pytest.raises(InvalidArgument) as rejected:
        await _import(demand, round_.id, rows, ImportMode.REPLACE)
    problems = {(v.field, str(v.description).split(" ")[0]) for v in rejected.value.violations}
    assert {field for field, _ in problems} == {
        "line 3.quantity", "line 4.quantity", "line 5.needed_by", "line 6.needed_by", "line 7.sku", "line 8.sku",
        "line 9.sku", "line 10.priority", "line 11.quantity",
    }  # fmt: skip
    assert "nothing was imported" in str(rejected.value.message)
    assert await demand.count_lines() == 1
    lines = (await demand.service.list_lines(BRUCHSAL, LineFilter(round_.id), 0, "")).records
    assert [line.status for line in lines] == [LineStatus.SUBMITTED]


async def test_skus_match_whatever_their_case_and_an_unknown_one_gets_the_closest_suggested(demand: Demand) -> None:
    """The real catalog (its own database) stores LAPTOP-14; a clerk types laptop-14, or laptp-14."""
    round_ = await demand.open_round()
    record, _ = await _import(demand, round_.id, [row(2, sku="laptop-14"), row(3, sku="Laptop-14", quantity="2")])
    assert record.created == 2
    with pytest.raises(InvalidArgument) as rejected:
        await _import(demand, round_.id, [row(2, sku="laptp-14"), row(3, sku="QQQQQQQ")])
    messages = {v.field: v.description for v in rejected.value.violations}
    assert isinstance(messages["line 2.sku"], Text)
    assert messages["line 2.sku"].render("de") == (
        "Kein Katalogartikel hat die Artikelnummer 'laptp-14'; meinten Sie LAPTOP-14?"
    )
    assert str(messages["line 3.sku"]) == "no catalog item has the SKU 'QQQQQQQ'"  # nothing alike: no guess


async def test_imports_respect_the_city_and_the_deadline(demand: Demand) -> None:
    round_ = await demand.open_round()
    with pytest.raises(PermissionDenied):
        await demand.service.import_lines(BRUCHSAL, round_.id, "buehl", ImportMode.ADD, "x.csv", [row(2)])
    await demand.move_deadline_to_the_past(round_.id)
    with pytest.raises(RoundPastDeadline):
        await _import(demand, round_.id, [row(2)])
    assert await demand.count_lines() == 0
    assert (await demand.service.get_round(LEAD, round_.id)).status == RoundStatus.CLOSED


async def test_adding_the_same_file_after_its_lines_were_withdrawn_adds_them_again(demand: Demand) -> None:
    round_ = await demand.open_round()
    first, _ = await _import(demand, round_.id, [row(2, quantity="5")])
    line = (await demand.service.list_lines(BRUCHSAL, LineFilter(round_.id), 0, "")).records[0]
    await demand.service.withdraw_line(BRUCHSAL, round_.id, line.id, 0)
    again, replayed = await _import(demand, round_.id, [row(2, quantity="5")])
    assert (replayed, again.created) == (False, 1) and again.id != first.id
    third, replayed = await _import(demand, round_.id, [row(2, quantity="5")])
    assert (replayed, third.id) == (True, again.id)


async def test_hostile_cells_get_short_clear_messages(demand: Demand) -> None:
    round_ = await demand.open_round()
    rows = [
        row(2, sku="", cpv_code="Laptop", name="Notebook"),
        row(3, quantity="9" * 5000),
        row(4, quantity="²"),
        row(5, sku="X" * 3000),
        row(6, justification="ok\u0007"),
    ]
    with pytest.raises(InvalidArgument) as rejected:
        await _import(demand, round_.id, rows)
    problems = {v.field: str(v.description) for v in rejected.value.violations}
    assert set(problems) == {"line 2.cpv_code", "line 3.quantity", "line 4.quantity", "line 5.sku",
                             "line 6.justification"}  # fmt: skip
    assert all(len(message) < 120 for message in problems.values())


async def test_an_estimate_beyond_64_bits_is_a_clear_refusal(demand: Demand, catalog: CatalogService) -> None:
    gold = await catalog.create(ADMIN, ITEMS, {**LAPTOP, "sku": "GOLD", "reference_price_cents": 10**12})
    round_ = await demand.open_round()
    for _ in range(10):
        await demand.line(round_.id, quantity=1_000_000, item=gold)
    with pytest.raises(FailedPrecondition, match="reference prices"):
        await demand.service.aggregate(LEAD, round_.id)


# -- changing a round ---------------------------------------------------------------------------


async def test_a_draft_changes_freely_and_an_open_round_only_gets_more_time(demand: Demand) -> None:
    draft = await _round_in(demand, "draft")
    later = draft.closes_at + dt.timedelta(days=7)
    changed = await demand.service.update_round(
        LEAD, draft.id, {"title": "Notebooks 2028", "closes_at": later, "scope_cpv_prefixes": ["302"]}, draft.version
    )
    assert (changed.title, changed.closes_at, changed.scope_cpv_prefixes) == ("Notebooks 2028", later, ["302"])
    assert changed.version == draft.version + 1
    with pytest.raises(InvalidArgument) as refused:
        await demand.service.update_round(LEAD, draft.id, {"scope_item_ids": ["no-such-item"]}, changed.version)
    assert [v.field for v in refused.value.violations] == ["scope_item_ids[0]"]
    with pytest.raises(InvalidArgument) as refused:
        await demand.service.update_round(LEAD, draft.id, {"opens_at": later}, changed.version)
    assert [v.field for v in refused.value.violations] == ["closes_at"]  # must come after opens_at

    opened = await demand.service.transition_round(LEAD, draft.id, "open", 0)
    extended = await demand.service.update_round(
        LEAD, draft.id, {"closes_at": later + dt.timedelta(days=1)}, opened.version
    )
    assert extended.closes_at == later + dt.timedelta(days=1)
    with pytest.raises(InvalidArgument, match="not valid") as refused:
        await demand.service.update_round(LEAD, draft.id, {"closes_at": later}, extended.version)
    assert "only be extended" in str(refused.value.violations[0].description)
    with pytest.raises(StateConflict, match="scope_cpv_prefixes can no longer change"):
        await demand.service.update_round(LEAD, draft.id, {"scope_cpv_prefixes": []}, extended.version)
    closed = await demand.service.transition_round(LEAD, draft.id, "close", 0)
    with pytest.raises(StateConflict, match="the round is closed"):
        await demand.service.update_round(LEAD, draft.id, {"title": "x"}, closed.version)


async def test_only_the_owner_leads_change_a_round_and_only_at_their_version(demand: Demand) -> None:
    draft = await _round_in(demand, "draft")
    with pytest.raises(PermissionDenied):
        await demand.service.update_round(OTHER_LEAD, draft.id, {"title": "x"}, draft.version)
    with pytest.raises(PermissionDenied):
        await demand.service.update_round(BRUCHSAL, draft.id, {"title": "x"}, draft.version)
    with pytest.raises(VersionConflict):
        await demand.service.update_round(LEAD, draft.id, {"title": "x"}, draft.version + 1)
    with pytest.raises(InvalidArgument, match="send the version"):
        await demand.service.update_round(LEAD, draft.id, {"title": "x"}, 0)
    assert (await demand.service.get_round(LEAD, draft.id)).title == "R"


# -- e-mail events: a round opens, a round closes in 3 days --------------------------------------------------------


async def _outbox(demand: Demand) -> dict[str, dict[str, object]]:
    async with demand.engine.connect() as connection:
        rows = (await connection.execute(select(NotificationOrder.event_key, NotificationOrder.request))).all()
    return {key: json.loads(request) for key, request in rows}


async def _closes_in(demand: Demand, round_id: str, delta: dt.timedelta) -> None:
    """The round (opened 10 days ago) closes `delta` from now."""
    opened, closes = utc_now() - dt.timedelta(days=10), utc_now() + delta
    async with demand.engine.begin() as connection:
        changed = update(Round).where(Round.id == round_id).values(closes_at=closes, status_changed_at=opened)
        await connection.execute(changed)


async def test_an_opened_round_tells_every_member_citys_it_and_reminds_only_cities_without_lines(
    demand: Demand,
) -> None:
    members = sorted(city.id for city in demo.CITIES)
    round_ = await demand.open_round()  # closes in 30 days
    assert round_.member_city_ids == members
    [(key, opened)] = (await _outbox(demand)).items()  # written with the opening
    assert (key, opened["kind"]) == (f"demand/round-opened/{round_.id}", "round_opened")
    assert opened["audiences"] == [{"role": "city-it", "cityId": city} for city in members]
    assert opened["values"] == {"round_title": "Notebooks 2027", "closes_at": round_.closes_at.isoformat(),
                                "path": f"rounds/{round_.id}"}  # fmt: skip
    assert await demand.service.remind_closing_rounds() == 0  # 30 days away: not yet

    await demand.line(round_.id)  # Bruchsal has a line
    withdrawn = await demand.line(round_.id, BUEHL)
    await demand.service.withdraw_line(BUEHL, round_.id, withdrawn.id, withdrawn.version)  # Bühl: none any more
    await _closes_in(demand, round_.id, dt.timedelta(days=2, hours=23))
    soon = RoundDraft("Entwurf", "", utc_now(), utc_now() + dt.timedelta(days=1))
    draft = await demand.service.create_round(LEAD, soon)
    assert await demand.service.remind_closing_rounds() == len(members) - 1  # every city but Bruchsal
    assert await demand.service.remind_closing_rounds() == 0  # a sweep again adds nothing
    outbox = await _outbox(demand)
    reminders = {key: request for key, request in outbox.items() if key.startswith("demand/round-closing/")}
    assert sorted(reminders) == [f"demand/round-closing/{round_.id}/{city}" for city in members if city != "bruchsal"]
    buehl = reminders[f"demand/round-closing/{round_.id}/buehl"]
    assert (buehl["kind"], buehl["audiences"]) == ("round_closing", [{"role": "city-it", "cityId": "buehl"}])
    assert not [key for key in outbox if draft.id in key]  # a draft is not open: no events


async def test_closed_rounds_and_rounds_opened_within_3_days_of_closing_remind_nobody(demand: Demand) -> None:
    now = utc_now()
    short = await demand.service.create_round(LEAD, RoundDraft("Kurz", "", now, now + dt.timedelta(days=2)))
    await demand.service.transition_round(LEAD, short.id, "open", 0)  # its opening mail names the deadline
    closing = await demand.open_round()
    await _closes_in(demand, closing.id, dt.timedelta(days=1))
    await demand.service.transition_round(LEAD, closing.id, "close", 0)
    past = await demand.open_round()
    await demand.move_deadline_to_the_past(past.id)  # closed by the sweep's own loop, never reminded
    await demand.service.close_due_rounds()
    assert await demand.service.remind_closing_rounds() == 0
