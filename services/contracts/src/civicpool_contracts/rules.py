"""The tender lifecycle and bid values as pure functions (no I/O)."""

from __future__ import annotations

import datetime as dt

from civicpool_common import lifecycle
from civicpool_common.errors import FieldViolation
from civicpool_common.lifecycle import StateConflict, Transition
from civicpool_common.vocabulary import ContractStatus, TenderStatus

MAX_UNIT_PRICE_CENTS = 10**11  # EUR 1 billion per unit: anything above is a typing error
MAX_TIERS = 20
MAX_DELIVERY_DAYS = 3650
MAX_TEXT = 2000
LONGEST_FRAMEWORK = 4  # years: § 21 (6) VgV limits framework agreements to four years


TRANSITIONS: dict[str, Transition[TenderStatus]] = {
    "publish": Transition("published", frozenset({TenderStatus.DRAFT}), TenderStatus.PUBLISHED),
    "close_bidding": Transition("closed for bids", frozenset({TenderStatus.PUBLISHED}), TenderStatus.BIDDING_CLOSED),
    "evaluate": Transition(
        "evaluated", frozenset({TenderStatus.BIDDING_CLOSED, TenderStatus.EVALUATED}), TenderStatus.EVALUATED
    ),
    "award": Transition("awarded", frozenset({TenderStatus.EVALUATED}), TenderStatus.AWARDED),
    "cancel": Transition(
        "cancelled",
        frozenset({TenderStatus.DRAFT, TenderStatus.PUBLISHED, TenderStatus.BIDDING_CLOSED, TenderStatus.EVALUATED}),
        TenderStatus.CANCELLED,
    ),
}

# Statuses in which bids are opened: their content is readable by the lead.
OPENED = frozenset({TenderStatus.BIDDING_CLOSED, TenderStatus.EVALUATED, TenderStatus.AWARDED})


def check_transition(action: str, current: str) -> TenderStatus:
    return lifecycle.check_transition("tender", TRANSITIONS, action, current)


def check_bids_accepted(status: str, bids_due_at: dt.datetime | None, now: dt.datetime) -> None:
    if status != TenderStatus.PUBLISHED or bids_due_at is None:
        raise StateConflict(f"the tender is {status}; bids are accepted only while it is published", status)
    if now >= bids_due_at:
        raise StateConflict(f"bids were due by {bids_due_at:%Y-%m-%d %H:%M:%S} UTC; late bids are refused", status)


def price_violations(prefix: str, unit_price_cents: int, tiers: list[tuple[int, int]]) -> list[FieldViolation]:
    found = []
    if not 0 <= unit_price_cents <= MAX_UNIT_PRICE_CENTS:
        found.append(FieldViolation(f"{prefix}.unit_price_cents", "must be between 0 and 100,000,000,000 cents"))
    if len(tiers) > MAX_TIERS:
        found.append(FieldViolation(f"{prefix}.tiers", f"at most {MAX_TIERS} volume tiers"))
    minimums = [minimum for minimum, _ in tiers]
    if len(set(minimums)) != len(minimums):
        found.append(FieldViolation(f"{prefix}.tiers", "two tiers start at the same quantity"))
    for index, (minimum, cents) in enumerate(tiers):
        if minimum < 2:
            found.append(FieldViolation(f"{prefix}.tiers[{index}].min_quantity", "must be at least 2"))
        if not 0 <= cents <= MAX_UNIT_PRICE_CENTS:
            found.append(
                FieldViolation(f"{prefix}.tiers[{index}].unit_price_cents", "must be between 0 and 10^11 cents")
            )
    return found


def contract_term_violations(starts_on: dt.date, ends_on: dt.date, notice_on: dt.date) -> list[FieldViolation]:
    found = []
    if ends_on <= starts_on:
        found.append(FieldViolation("ends_on", "must come after starts_on"))
    elif ends_on >= _add_years(starts_on, LONGEST_FRAMEWORK):  # ends_on is the last day of the term
        found.append(FieldViolation("ends_on", f"a framework agreement runs at most {LONGEST_FRAMEWORK} years"))
    if not starts_on <= notice_on <= ends_on:
        found.append(FieldViolation("renewal_notice_on", "must lie between starts_on and ends_on"))
    return found


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # from 29 February: a year later is 1 March
        return day.replace(year=day.year + years, month=3, day=1)


def effective_contract_status(status: str, ends_on: dt.date, today: dt.date) -> ContractStatus:
    """An active contract past its last day is expired (nothing is stored for that)."""
    if status == ContractStatus.ACTIVE and today > ends_on:
        return ContractStatus.EXPIRED
    return ContractStatus(status)


def default_term(today: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """Start today, run two years, renewal notice 90 days before the end."""
    ends_on = _add_years(today, 2) - dt.timedelta(days=1)
    return today, ends_on, default_notice(today, ends_on)


def default_notice(starts_on: dt.date, ends_on: dt.date) -> dt.date:
    """The renewal notice date when none is given: 90 days before the end, not before the start."""
    return max(starts_on, ends_on - dt.timedelta(days=90))
