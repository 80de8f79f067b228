"""The periods of a procedure, in Berlin calendar days, with their legal basis (pure).

- Before the bids are due (§ 20 (3) VgV): information vendors get late (a changed document, an answer, a
  clarification) must leave them at least 6 calendar days before the deadline; later it needs a longer
  deadline. Questions close 6 days before the deadline unless the lead city sets another time for the tender.
- After the award decision (§ 134 (2) GWB): no contract is concluded before the standstill has passed,
  10 calendar days when the information went out electronically, 15 otherwise, counted from the day after it
  was sent. A period whose last day is a Saturday, Sunday or public holiday ends with the next working day
  (Art. 3 (4) Regulation (EEC, Euratom) No 1182/71, which the remedies directive's periods follow).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container
from dataclasses import dataclass

from civicpool_common.lifecycle import StateConflict
from civicpool_common.messages import N_, Text
from civicpool_common.vocabulary import NETWORK_TIME_ZONE

from civicpool_tenders.models import Tender

CHANGE_NOTICE_DAYS = 6


def change_cutoff(bids_due_at: dt.datetime) -> dt.datetime:
    """The last moment vendors may get new information: 6 calendar days before the deadline, on the Berlin
    clock (the same wall time, whatever daylight saving time does in between)."""
    local = bids_due_at.astimezone(NETWORK_TIME_ZONE)
    return (local - dt.timedelta(days=CHANGE_NOTICE_DAYS)).astimezone(dt.UTC)


def earliest_deadline_for_change(now: dt.datetime) -> dt.datetime:
    """The earliest deadline that allows new information now."""
    local = now.astimezone(NETWORK_TIME_ZONE)
    return (local + dt.timedelta(days=CHANGE_NOTICE_DAYS)).astimezone(dt.UTC)


def questions_due(tender: Tender) -> dt.datetime | None:
    """Until when vendors ask: the tender's own time, or 6 days before the deadline (None: no deadline yet)."""
    if tender.questions_due_at is not None:
        return tender.questions_due_at
    return None if tender.bids_due_at is None else change_cutoff(tender.bids_due_at)


def require_change_window(tender: Tender, now: dt.datetime, too_late: str) -> None:
    """Refuse new information for vendors less than 6 days before the deadline. `too_late` is the message,
    with {due} and {earliest} (the earliest deadline that would allow it)."""
    assert tender.bids_due_at is not None  # every published tender has its deadline
    if now >= change_cutoff(tender.bids_due_at):
        earliest = earliest_deadline_for_change(now)
        raise StateConflict(Text(too_late, due=tender.bids_due_at, earliest=earliest), tender.status)


STANDSTILL_DAYS = {True: 10, False: 15}  # sent electronically or not (§ 134 (2) GWB)
STANDSTILL_BASIS = N_("§ 134 (2) GWB; Art. 3 (4) Regulation (EEC, Euratom) No 1182/71")


@dataclass(frozen=True)
class Standstill:
    """The standstill after information sent at `sent_at`: its last day and the first day a contract may be
    concluded (Berlin calendar days)."""

    sent_at: dt.datetime
    days: int
    last_day: dt.date
    earliest_conclusion_on: dt.date
    legal_basis: str = STANDSTILL_BASIS


def standstill(sent_at: dt.datetime, holidays: Container[dt.date], *, electronic: bool = True) -> Standstill:
    """The standstill of information sent at `sent_at`; `holidays`: the public holidays where the lead city is."""
    days = STANDSTILL_DAYS[electronic]
    sent_on = sent_at.astimezone(NETWORK_TIME_ZONE).date()
    last = sent_on + dt.timedelta(days=days)  # the period starts the day after sending (§ 134 (2) sentence 3)
    while last.weekday() >= 5 or last in holidays:
        last += dt.timedelta(days=1)
    return Standstill(sent_at, days, last, last + dt.timedelta(days=1))
