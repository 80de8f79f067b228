"""The periods before a tender's bids are due (§ 20 (3) VgV), in Berlin calendar days (pure).

Information vendors get late (a changed document, an answer, a clarification) must leave them at least
6 calendar days before the deadline; later it needs a longer deadline. Questions close 6 days before the
deadline unless the lead city sets another time for the tender.
"""

from __future__ import annotations

import datetime as dt

from civicpool_common.lifecycle import StateConflict
from civicpool_common.messages import Text
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
