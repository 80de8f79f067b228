"""The demand domain's rules as pure functions: round transitions, scope, line values.

No I/O here, so every rule is tested directly; service.py applies them inside
transactions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from civicpool_common import lifecycle
from civicpool_common.errors import FieldViolation
from civicpool_common.lifecycle import StateConflict, Transition
from civicpool_common.messages import N_, Labels, Text
from civicpool_common.vocabulary import Priority, RoundStatus

MAX_QUANTITY = 1_000_000
MAX_JUSTIFICATION = 2000
MAX_SCOPE_ENTRIES = 500
LATEST_NEEDED_BY_YEARS = 10
_CPV_PREFIX = re.compile(r"\d{2,8}")


TRANSITIONS: dict[str, Transition[RoundStatus]] = {
    "open": Transition(N_("opened"), frozenset({RoundStatus.DRAFT}), RoundStatus.OPEN),
    "close": Transition(N_("closed"), frozenset({RoundStatus.OPEN}), RoundStatus.CLOSED),
    "cancel": Transition(
        N_("cancelled"), frozenset({RoundStatus.DRAFT, RoundStatus.OPEN, RoundStatus.CLOSED}), RoundStatus.CANCELLED
    ),
    "bundle": Transition(N_("bundled into a tender"), frozenset({RoundStatus.CLOSED}), RoundStatus.BUNDLED),
}


class RoundPastDeadline(StateConflict):
    """A write reached an open round after its closing time: the round must be closed now."""


def check_transition(action: str, current: str) -> RoundStatus:
    """The status after `action`, or StateConflict naming the current status."""
    return lifecycle.check_transition("round", TRANSITIONS, action, current)


def check_accepting_demand(status: str, opens_at: dt.datetime, closes_at: dt.datetime, now: dt.datetime) -> None:
    """Demand is written only into an open round, between opens_at and closes_at."""
    if status != RoundStatus.OPEN:
        raise StateConflict(
            Text("the round is {status}; demand can be written only while it is open", status=Labels("round", status)),
            status,
        )
    if now >= closes_at:
        raise RoundPastDeadline(
            Text("the round closed at {closes_at}; demand can no longer be written", closes_at=closes_at), "closed"
        )
    if now < opens_at:
        raise StateConflict(Text("the round accepts demand from {opens_at}", opens_at=opens_at), status)


def scope_violations(item_ids: Sequence[str], cpv_prefixes: Sequence[str]) -> list[FieldViolation]:
    violations = []
    if len(item_ids) > MAX_SCOPE_ENTRIES:
        violations.append(FieldViolation("scope_item_ids", Text("at most {count} items", count=MAX_SCOPE_ENTRIES)))
    if len(cpv_prefixes) > MAX_SCOPE_ENTRIES:
        violations.append(
            FieldViolation("scope_cpv_prefixes", Text("at most {count} prefixes", count=MAX_SCOPE_ENTRIES))
        )
    for index, prefix in enumerate(cpv_prefixes):
        if not _CPV_PREFIX.fullmatch(prefix):
            violations.append(
                FieldViolation(
                    f"scope_cpv_prefixes[{index}]",
                    Text("{value} is not 2 to 8 leading digits of a CPV code", value=shown(prefix)),
                )
            )
    return violations


def in_scope(item_id: str, cpv_code: str, scope_item_ids: Sequence[str], scope_cpv_prefixes: Sequence[str]) -> bool:
    if not scope_item_ids and not scope_cpv_prefixes:
        return True
    digits = cpv_code.replace("-", "")
    return item_id in scope_item_ids or any(digits.startswith(p) for p in scope_cpv_prefixes)


def line_violations(
    quantity: int | None, needed_by: dt.date | None, justification: str | None, today: dt.date, prefix: str = ""
) -> list[FieldViolation]:
    """The problems of a line's values; None means "not being set"."""
    violations = []
    if quantity is not None and quantity < 1:
        violations.append(FieldViolation(f"{prefix}quantity", Text("must be at least {limit}", limit=1)))
    elif quantity is not None and quantity > MAX_QUANTITY:
        violations.append(
            FieldViolation(f"{prefix}quantity", Text("must be a whole number from 1 to {max:n}", max=MAX_QUANTITY))
        )
    if needed_by is not None:
        if needed_by < today:
            violations.append(FieldViolation(f"{prefix}needed_by", Text("{day} lies in the past", day=needed_by)))
        elif needed_by.year > today.year + LATEST_NEEDED_BY_YEARS:
            violations.append(
                FieldViolation(
                    f"{prefix}needed_by", Text("must lie within {years} years from today", years=LATEST_NEEDED_BY_YEARS)
                )
            )
    if justification is not None and len(justification) > MAX_JUSTIFICATION:
        violations.append(
            FieldViolation(f"{prefix}justification", Text("at most {count:n} characters", count=MAX_JUSTIFICATION))
        )
    elif justification is not None and _CONTROL_CHARACTERS.search(justification):
        violations.append(FieldViolation(f"{prefix}justification", Text("must not contain control characters")))
    return violations


def shown(text: str, limit: int = 40) -> str:
    """A value quoted in a message, cut short: messages must stay small whatever a file holds."""
    text = text.strip()
    return repr(text if len(text) <= limit else text[:limit] + "…")


# -- values as spreadsheets write them -------------------------------------------------------


class UnreadableValue(ValueError):
    """A cell that does not say what its column asks for; `text` tells the person why."""

    def __init__(self, text: Text) -> None:
        super().__init__(str(text))
        self.text = text


_PRIORITY_WORDS = {
    "": Priority.NORMAL,
    "high": Priority.HIGH,
    "hoch": Priority.HIGH,
    "normal": Priority.NORMAL,
    "mittel": Priority.NORMAL,
    "low": Priority.LOW,
    "niedrig": Priority.LOW,
    "gering": Priority.LOW,
}
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DIGITS = re.compile(r"[0-9]{1,15}")
# 1.000 / 1.000,00 / 40,00 / 40 (a dot between groups of three is German thousands) ...
_GERMAN_NUMBER = re.compile(r"([0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+)(?:,([0-9]+))?")
# ... and 40.0 / 40.00 (what a number cell or an English program writes: a point not before three digits)
_POINT_DECIMAL = re.compile(r"([0-9]+)\.([0-9]{1,2}|[0-9]{4,})")
_GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_quantity(text: str) -> int:
    """A whole number as people type it and spreadsheets write it: "40", "1.000" (German thousands), "40,00"
    and "1.000,00" (decimals that are zero), "40.0" from a number cell; "-5" is read (and refused by
    line_violations as less than 1). "2,5" is not a whole number."""
    value = text.strip().replace("\u00a0", "").replace(" ", "").replace("\u2212", "-")
    sign = "-" if value.startswith("-") else ""
    digits = value[1:] if value.startswith(("-", "+")) else value
    if match := _GERMAN_NUMBER.fullmatch(digits):
        whole, fraction = match.group(1).replace(".", ""), match.group(2) or ""
    elif match := _POINT_DECIMAL.fullmatch(digits):
        whole, fraction = match.group(1), match.group(2)
    else:
        raise UnreadableValue(Text("{value} is not a whole number", value=shown(text)))
    if fraction.strip("0") or not _DIGITS.fullmatch(whole):
        raise UnreadableValue(Text("{value} is not a whole number", value=shown(text)))
    return int(sign + whole)


def parse_date(text: str) -> dt.date | None:
    """dd.mm.yyyy (as German spreadsheets write dates) or yyyy-mm-dd; empty is None."""
    value = text.strip()
    if not value:
        return None
    if match := _GERMAN_DATE.fullmatch(value):
        day, month, year = (int(g) for g in match.groups())
    elif match := _ISO_DATE.fullmatch(value):
        year, month, day = (int(g) for g in match.groups())
    else:
        raise UnreadableValue(Text("{value} is not a date; write dd.mm.yyyy or yyyy-mm-dd", value=shown(value)))
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise UnreadableValue(Text("{value} is not a day of the calendar", value=shown(value))) from None


def parse_priority(text: str) -> Priority:
    try:
        return _PRIORITY_WORDS[text.strip().casefold()]
    except KeyError:
        raise UnreadableValue(
            Text("{value} is not a priority; write hoch/normal/niedrig or high/normal/low", value=shown(text))
        ) from None
