"""Spreadsheet rows -> demand lines: every row checked, every problem reported by line.

The gateway reads the file (CSV or XLSX) into rows of text; this module
decides what each row means. A row names its item by SKU, or by CPV code and
name; quantities, dates and priorities are read as German offices write them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from civicpool_common.errors import FieldViolation, InvalidArgument
from civicpool_common.messages import N_, Text
from civicpool_common.reasons import Reason
from civicpool_common.vocabulary import Priority

from civicpool_demand import rules
from civicpool_demand.clients import CatalogItem, ItemDirectory
from civicpool_demand.models import Line

MAX_ROWS = 5000
CPV_CODE = re.compile(r"[0-9]{8}-[0-9]")
MAX_SUGGESTED_SKUS = 3  # an unknown SKU's message names the closest ones
MAX_SKUS_TO_SUGGEST_FROM = 5000  # the active catalog's SKUs that are compared, read once per refused file
MAX_REPORTED_PROBLEMS = 200
_UNKNOWN_SKU = N_(
    "no catalog item has the SKU {sku}; did you mean {suggestions}?"
)  # a file that is wrong everywhere needs a fix, not 10,000 messages


@dataclass(frozen=True)
class RawRow:
    line: int
    sku: str
    cpv_code: str
    name: str
    quantity: str
    needed_by: str
    justification: str
    priority: str


@dataclass(frozen=True)
class ImportedLine:
    line: int  # the spreadsheet line it came from
    item_id: str
    quantity: int
    needed_by: dt.date | None
    justification: str
    priority: Priority

    @property
    def content(self) -> tuple[str, int, str, str, str]:
        """What makes two lines the same demand, whatever their origin."""
        needed_by = self.needed_by.isoformat() if self.needed_by else ""
        return (self.item_id, self.quantity, needed_by, self.justification, self.priority.value)


def line_content(line: Line) -> tuple[str, int, str, str, str]:
    needed_by = line.needed_by.isoformat() if line.needed_by else ""
    return (line.item_id, line.quantity, needed_by, line.justification, line.priority)


class _Problems:
    def __init__(self) -> None:
        self.violations: list[FieldViolation] = []
        self.count = 0

    def add(self, line: int, column: str, description: str | Text) -> None:
        self.count += 1
        if len(self.violations) < MAX_REPORTED_PROBLEMS:
            self.violations.append(FieldViolation(f"line {line}.{column}", description))

    def raise_if_any(self, rows: int) -> None:
        if not self.count:
            return
        source = (
            N_("the file has {count} problem(s) in {rows} row(s); nothing was imported")
            if self.count <= MAX_REPORTED_PROBLEMS
            else N_(
                "the file has {count} problem(s) in {rows} row(s) (the first {listed} are listed); nothing was imported"
            )
        )
        message = Text(source, count=self.count, rows=rows, listed=MAX_REPORTED_PROBLEMS)
        raise InvalidArgument(
            message,
            reason=Reason.IMPORT_REJECTED,
            violations=self.violations,
        )


def check_row_count(count: int) -> None:
    if count == 0:
        raise InvalidArgument(Text("the file has no data rows below its header"), reason=Reason.IMPORT_REJECTED)
    if count > MAX_ROWS:
        raise InvalidArgument(
            Text(
                "the file has {count:n} data rows; at most {max:n} can be imported at once: split it",
                count=count,
                max=MAX_ROWS,
            ),
            reason=Reason.IMPORT_REJECTED,
        )


async def resolve_rows(
    rows: Sequence[RawRow],
    directory: ItemDirectory,
    in_scope: Callable[[CatalogItem], bool],
    today: dt.date,
) -> list[ImportedLine]:
    """Each row as a line, or InvalidArgument listing every problem as "line <n>.<column>"."""
    check_row_count(len(rows))
    problems = _Problems()
    items = await _items_named_by(rows, directory)
    imported = []
    for row in rows:
        item = _item_of(row, items, problems)
        values = _values_of(row, problems, today)
        if item is not None and not item.active:
            problems.add(row.line, "sku", Text("{sku} ({name}) is no longer in the catalog's active range",
                                                 sku=item.sku, name=item.name))  # fmt: skip
        elif item is not None and not in_scope(item):
            problems.add(row.line, "sku", Text("{sku} ({name}) is not among the items this round asks for",
                                                 sku=item.sku, name=item.name))  # fmt: skip
        elif item is not None and values is not None:
            quantity, needed_by, priority = values
            imported.append(ImportedLine(row.line, item.id, quantity, needed_by, row.justification.strip(), priority))
    problems.raise_if_any(len(rows))
    return imported


@dataclass(frozen=True)
class _ItemsNamed:
    by_sku: dict[str, CatalogItem]  # by the SKU casefolded: SKUs match whatever their case
    by_cpv: dict[str, list[CatalogItem]]
    active_skus: list[str]  # for suggestions; read only when a row names an unknown SKU


async def _items_named_by(rows: Sequence[RawRow], directory: ItemDirectory) -> _ItemsNamed:
    skus = [row.sku.strip() for row in rows if row.sku.strip()]
    cpv_codes = {
        row.cpv_code.strip() for row in rows if not row.sku.strip() and CPV_CODE.fullmatch(row.cpv_code.strip())
    }
    # SKUs match whatever their case: the file's spelling, and the usual upper and lower case of catalogs
    variants = [variant for sku in skus for variant in (sku, sku.upper(), sku.lower())]
    found = await directory.by_skus(variants) if skus else {}
    by_sku = {sku.casefold(): item for sku, item in sorted(found.items())}
    unknown = any(sku.casefold() not in by_sku for sku in skus)
    active_skus = await directory.active_skus(MAX_SKUS_TO_SUGGEST_FROM) if unknown else []
    by_cpv = {code: await directory.by_cpv_code(code) for code in sorted(cpv_codes)}
    return _ItemsNamed(by_sku, by_cpv, active_skus)


def closest_skus(sku: str, known: Sequence[str]) -> list[str]:
    """The catalog's SKUs most like `sku` (a typo, a missing dash), best first."""
    by_folded = {k.casefold(): k for k in known}
    matches = difflib.get_close_matches(sku.casefold(), list(by_folded), n=MAX_SUGGESTED_SKUS, cutoff=0.6)
    return [by_folded[m] for m in matches]


def _item_of(row: RawRow, items: _ItemsNamed, problems: _Problems) -> CatalogItem | None:
    sku, cpv_code, name = row.sku.strip(), row.cpv_code.strip(), row.name.strip()
    if sku:
        item = items.by_sku.get(sku.casefold())
        if item is None:
            if suggestions := closest_skus(sku, items.active_skus):
                shown = rules.shown(sku)
                problems.add(row.line, "sku", Text(_UNKNOWN_SKU, sku=shown, suggestions=", ".join(suggestions)))
            else:
                problems.add(row.line, "sku", Text("no catalog item has the SKU {sku}", sku=rules.shown(sku)))
        return item
    if not (cpv_code and name):
        problems.add(row.line, "sku", Text("name the item: its SKU, or its CPV code and name"))
        return None
    if not CPV_CODE.fullmatch(cpv_code):
        problems.add(
            row.line, "cpv_code", Text("{value} is not a CPV code like 30213100-6", value=rules.shown(cpv_code))
        )
        return None
    matches = [i for i in items.by_cpv.get(cpv_code, []) if i.name.casefold() == name.casefold()]
    if len(matches) != 1:
        source = (
            N_("no catalog item has the CPV code {cpv_code} and the name {name}")
            if not matches
            else N_("more than one catalog item has the CPV code {cpv_code} and the name {name}")
        )
        problems.add(row.line, "name", Text(source, cpv_code=cpv_code, name=rules.shown(name)))
        return None
    return matches[0]


def _values_of(row: RawRow, problems: _Problems, today: dt.date) -> tuple[int, dt.date | None, Priority] | None:
    before = problems.count
    quantity = needed_by = priority = None
    try:
        quantity = rules.parse_quantity(row.quantity)
    except rules.UnreadableValue as error:
        problems.add(row.line, "quantity", error.text)
    try:
        needed_by = rules.parse_date(row.needed_by)
    except rules.UnreadableValue as error:
        problems.add(row.line, "needed_by", error.text)
    try:
        priority = rules.parse_priority(row.priority)
    except rules.UnreadableValue as error:
        problems.add(row.line, "priority", error.text)
    for violation in rules.line_violations(quantity, needed_by, row.justification.strip(), today):
        problems.add(row.line, violation.field, violation.description)
    if problems.count > before or quantity is None or priority is None:
        return None
    return quantity, needed_by, priority


def content_sha256(lines: Sequence[ImportedLine]) -> str:
    """The same demand gives the same digest, whatever the row order or file format."""
    canonical = json.dumps(sorted(line.content for line in lines), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class ReplacePlan:
    unchanged: list[Line]
    withdraw: list[Line]
    create: list[ImportedLine]


def plan_replace(existing: Sequence[Line], incoming: Sequence[ImportedLine]) -> ReplacePlan:
    """Keep the city's lines the file repeats, withdraw the others, create what is new.

    Matching is by content (item, quantity, date, justification, priority) as a
    multiset, so importing the same file again changes nothing.
    """
    wanted = Counter(line.content for line in incoming)
    unchanged, withdraw = [], []
    for line in existing:
        if wanted[line_content(line)] > 0:
            wanted[line_content(line)] -= 1
            unchanged.append(line)
        else:
            withdraw.append(line)
    create = []
    for new in incoming:
        if wanted[new.content] > 0:
            wanted[new.content] -= 1
            create.append(new)
    return ReplacePlan(unchanged, withdraw, create)
