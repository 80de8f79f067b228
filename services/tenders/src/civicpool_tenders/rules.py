"""The tender lifecycle and bid values as pure functions (no I/O)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from civicpool_common import lifecycle
from civicpool_common.errors import FieldViolation, InvalidArgument
from civicpool_common.lifecycle import StateConflict, Transition
from civicpool_common.messages import N_, Labels, Text
from civicpool_common.vocabulary import TenderStatus

from civicpool_tenders.models import Tender

MAX_UNIT_PRICE_CENTS = 10**11  # EUR 1 billion per unit: anything above is a typing error
MAX_TIERS = 20
MAX_DELIVERY_DAYS = 3650
MAX_TEXT = 2000
LONGEST_FRAMEWORK = 4  # years: § 21 (6) VgV limits framework agreements to four years
MAX_QUANTITY = 1_000_000  # of one item in a lot: as the demand and contracts services count
MAX_FRAMEWORK_VENDORS = 10  # vendors in one lot's framework: more cannot compete for a call-off in earnest


TRANSITIONS: dict[str, Transition[TenderStatus]] = {
    "publish": Transition(N_("published"), frozenset({TenderStatus.DRAFT}), TenderStatus.PUBLISHED),
    "close_bidding": Transition(
        N_("closed for bids"), frozenset({TenderStatus.PUBLISHED}), TenderStatus.BIDDING_CLOSED
    ),
    "evaluate": Transition(
        N_("evaluated"), frozenset({TenderStatus.BIDDING_CLOSED, TenderStatus.EVALUATED}), TenderStatus.EVALUATED
    ),
    "award": Transition(N_("awarded"), frozenset({TenderStatus.EVALUATED}), TenderStatus.AWARDED),
    "cancel": Transition(
        N_("cancelled"),
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
        raise StateConflict(
            Text(
                "the tender is {status}; bids are accepted only while it is published", status=Labels("tender", status)
            ),
            status,
        )
    if now >= bids_due_at:
        raise StateConflict(Text("bids were due by {due}; late bids are refused", due=bids_due_at), status)


# A price of 0 would give every other bid 0 points on price (the lowest-price formula: lowest / price), so a
# zero bid would decide the award by itself. An offer that low is an abnormally low tender (§ 60 VgV): the
# vendor states a real price and explains it, which the lead checks; 0 is refused.
ZERO_PRICE = N_(
    "must be at least 1 cent: a price of 0 would score every other bid 0 on price; an unusually low offer is stated with its real price and explained (abnormally low tender, § 60 VgV)"  # noqa: E501
)


_AT_MOST_CENTS = Text("must be at most {limit:n} cents", limit=MAX_UNIT_PRICE_CENTS)


def price_violations(prefix: str, unit_price_cents: int, tiers: list[tuple[int, int]]) -> list[FieldViolation]:
    found = []
    if unit_price_cents < 1:
        found.append(FieldViolation(f"{prefix}.unit_price_cents", Text(ZERO_PRICE)))
    elif unit_price_cents > MAX_UNIT_PRICE_CENTS:
        found.append(FieldViolation(f"{prefix}.unit_price_cents", _AT_MOST_CENTS))
    if len(tiers) > MAX_TIERS:
        found.append(FieldViolation(f"{prefix}.tiers", Text("at most {count} volume tiers", count=MAX_TIERS)))
    minimums = [minimum for minimum, _ in tiers]
    if len(set(minimums)) != len(minimums):
        found.append(FieldViolation(f"{prefix}.tiers", Text("two tiers start at the same quantity")))
    for index, (minimum, cents) in enumerate(tiers):
        if minimum < 2:
            found.append(
                FieldViolation(f"{prefix}.tiers[{index}].min_quantity", Text("must be at least {limit}", limit=2))
            )
        if cents < 1:
            found.append(FieldViolation(f"{prefix}.tiers[{index}].unit_price_cents", Text(ZERO_PRICE)))
        elif cents > MAX_UNIT_PRICE_CENTS:
            found.append(FieldViolation(f"{prefix}.tiers[{index}].unit_price_cents", _AT_MOST_CENTS))
    return found


def contract_term_violations(
    starts_on: dt.date, ends_on: dt.date, notice_on: dt.date, today: dt.date
) -> list[FieldViolation]:
    """A framework's term: it starts on the day of the award or later (an award cannot reach into the past:
    call-offs would be booked on days before the contract existed), runs at most four years, and its
    renewal notice date lies within it."""
    found = []
    if starts_on < today:
        found.append(
            FieldViolation(
                "starts_on", Text("must not lie before today ({today}): a contract starts at its award", today=today)
            )
        )
    if ends_on <= starts_on:
        found.append(FieldViolation("ends_on", Text("must come after starts_on")))
    elif ends_on >= _add_years(starts_on, LONGEST_FRAMEWORK):  # ends_on is the last day of the term
        found.append(
            FieldViolation("ends_on", Text("a framework agreement runs at most {years} years", years=LONGEST_FRAMEWORK))
        )
    if not starts_on <= notice_on <= ends_on:
        found.append(FieldViolation("renewal_notice_on", Text("must lie between starts_on and ends_on")))
    return found


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # from 29 February: a year later is 1 March
        return day.replace(year=day.year + years, month=3, day=1)


@dataclass(frozen=True)
class ContractTerm:
    """The term an award asks for; a day not given takes its default (resolved_term)."""

    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    renewal_notice_on: dt.date | None = None


def resolved_term(term: ContractTerm, today: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """The contracts' start, last day and renewal notice date, defaults filled in; refused when not valid."""
    starts_on = term.starts_on or today
    ends_on = term.ends_on or default_term(starts_on)[1]
    notice_on = term.renewal_notice_on or default_notice(starts_on, ends_on)
    violations = contract_term_violations(starts_on, ends_on, notice_on, today)
    if violations:
        raise InvalidArgument(Text("the contract term is not valid"), violations=violations)
    return starts_on, ends_on, notice_on


def default_term(today: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """Start today, run two years, renewal notice 90 days before the end."""
    ends_on = _add_years(today, 2) - dt.timedelta(days=1)
    return today, ends_on, default_notice(today, ends_on)


def default_notice(starts_on: dt.date, ends_on: dt.date) -> dt.date:
    """The renewal notice date when none is given: 90 days before the end, not before the start."""
    return max(starts_on, ends_on - dt.timedelta(days=90))


def mail_values(tender: Tender, **more: str) -> dict[str, str]:
    """The values every e-mail about a tender carries: its number and title, and its page in the portal."""
    return {"tender_title": f"{tender.reference} {tender.title}", "path": f"tenders/{tender.id}", **more}


def decision_suffix(decision: int) -> str:
    """The part of an e-mail event key that tells a tender's award decisions apart ("" for the first)."""
    return f"/{decision}" if decision > 1 else ""
