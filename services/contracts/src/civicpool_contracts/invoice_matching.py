"""An invoice compared with what civicpool knows, as pure functions (no I/O): the matching rules of docs/invoices.md.

- BT-10 (buyer reference) is the Leitweg-ID of the city the invoice is for: a party to the contract, the city of
  the call-off it names, and the uploader's own city when a city's finance uploads it;
- BT-31 (seller VAT id) is the vendor's;
- BT-12 names the contract (its reference, e.g. ETT-2026-003) or BT-13 a call-off of it (BRU-2026-012);
- each line is the contract's item (BT-155 = the SKU), at the item's VAT rate, at a unit price at which the city
  called off, within what the city called off at that price and was not yet invoiced (a credit note: within what
  was invoiced and not yet credited);
- the totals are recomputed to the cent (VAT per rate, rounded half up), and the issue date is within the
  contract's term.

Every difference is one Mismatch: the term, what was expected, what was invoiced, and what the invoice asks more
in cents. No mismatch: the invoice is matched.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from civicpool_einvoice.amounts import euros, vat_cents
from civicpool_einvoice.extraction import InvoiceData
from civicpool_einvoice.extraction import InvoiceLine as ReadLine

CURRENCY = "EUR"
BUYER_TERMS = frozenset({"buyer_reference", "unknown_buyer"})
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ContractTerms:
    id: str
    reference: str
    vendor_id: str
    sku: str
    starts_on: dt.date
    ends_on: dt.date
    parties: frozenset[str]  # cities with a quota


@dataclass(frozen=True)
class Known:
    """What the invoice is compared with, looked up by the service."""

    vendor_id: str  # the vendor the invoice is from: the uploading vendor's, or BT-31's for a city's upload
    seller_vendor_id: str  # the vendor whose VAT id BT-31 is ("" none)
    buyer_city_id: str  # the city whose Leitweg-ID BT-10 is ("" none)
    buyer_name: str  # its billing unit's name ("Stadtverwaltung Bruchsal")
    uploader_city_id: str  # a city's finance uploads for its own city only ("" a vendor's upload)
    contract: ContractTerms | None  # named by BT-12 or BT-13 among the vendor's contracts
    call_off_city_id: str  # the city of the call-off BT-13 names ("" none)
    vat_rate_bps: int  # the contract item's
    open_by_price: Mapping[int, int]  # unit price cents -> what the city may still be invoiced (credited) for


@dataclass(frozen=True)
class Mismatch:
    line_id: str  # "" for the invoice as a whole
    term: str
    expected: str
    invoiced: str
    difference_cents: int = 0  # what the invoice asks more; negative: less

    def as_json(self) -> dict[str, object]:
        return {"line_id": self.line_id, "term": self.term, "expected": self.expected, "invoiced": self.invoiced,
                "difference_cents": self.difference_cents}  # fmt: skip


@dataclass(frozen=True)
class Line:
    """A line in cents and whole units (None where the invoice's value is not one)."""

    line_id: str
    seller_item_id: str
    name: str
    quantity: int | None
    unit_price_cents: int | None
    net_cents: int | None
    vat_rate_bps: int | None


def cents(amount: Decimal | None) -> int | None:
    """Whole hundredths: cents of an amount in euros, basis points of a rate in percent; None for a missing value or
    one finer than that."""
    return _whole(amount * HUNDRED) if amount is not None else None


def _whole(value: Decimal | None) -> int | None:
    return int(value) if value is not None and value == value.to_integral_value() else None


def lines_of(data: InvoiceData) -> list[Line]:
    return [_line(line) for line in data.lines]


def _line(line: ReadLine) -> Line:
    return Line(line.line_id, line.seller_item_id, line.name, _whole(line.quantity), cents(line.unit_price),
                cents(line.net_amount), cents(line.vat_rate))  # fmt: skip


def mismatches(data: InvoiceData, known: Known) -> list[Mismatch]:
    """Every difference between the invoice and what civicpool knows (empty: matched)."""
    found = _header(data, known)
    contract = known.contract
    if contract is None or any(m.term in BUYER_TERMS for m in found):
        return found  # the invoice must reach the right city first: its lines are that city's business
    if data.issue_date is None or not contract.starts_on <= data.issue_date <= contract.ends_on:
        found.append(Mismatch("", "issue_date", f"{contract.starts_on}..{contract.ends_on}",
                              str(data.issue_date or "")))  # fmt: skip
    lines = lines_of(data)
    if not lines:
        found.append(Mismatch("", "lines", "1", "0"))
    found += _line_mismatches(lines, contract.sku, known)
    return found + _total_mismatches(data, lines)


def _header(data: InvoiceData, known: Known) -> list[Mismatch]:
    found = []
    if data.currency != CURRENCY:
        found.append(Mismatch("", "currency", CURRENCY, data.currency))
    buyer = known.buyer_city_id
    expected_city = known.uploader_city_id or known.call_off_city_id
    if not buyer:
        found.append(Mismatch("", "unknown_buyer", "", data.buyer_reference))
    elif expected_city and buyer != expected_city:
        found.append(Mismatch("", "buyer_reference", expected_city, data.buyer_reference))
    elif known.contract is not None and buyer not in known.contract.parties:
        # Not a party: which cities are is not for the vendor nor for this city to learn.
        found.append(Mismatch("", "buyer_reference", "", data.buyer_reference))
    if known.seller_vendor_id != known.vendor_id:
        found.append(Mismatch("", "seller", known.vendor_id, data.seller_vat_id))
    if known.contract is None:
        found.append(Mismatch("", "contract", "", data.contract_reference or data.order_reference))
    return found


def _line_mismatches(lines: list[Line], sku: str, known: Known) -> list[Mismatch]:
    found = []
    claimed: dict[int, int] = defaultdict(int)  # unit price -> quantity the lines so far claim at it
    for line in lines:
        if line.seller_item_id != sku:
            found.append(Mismatch(line.line_id, "item", sku, line.seller_item_id))
        if line.vat_rate_bps != known.vat_rate_bps:
            found.append(Mismatch(line.line_id, "vat_rate", _rate(known.vat_rate_bps), _rate(line.vat_rate_bps)))
        if line.quantity is None or line.quantity <= 0:
            found.append(Mismatch(line.line_id, "quantity", "a whole number above 0", str(line.quantity or "")))
            continue
        if line.unit_price_cents is None:
            found.append(Mismatch(line.line_id, "unit_price", "whole cents", ""))
            continue
        price, quantity = line.unit_price_cents, line.quantity
        open_here = known.open_by_price.get(price, 0) - claimed[price]
        if price not in known.open_by_price:
            expected = _expected_price(known.open_by_price, price)
            difference = (price - expected) * quantity if expected is not None else 0
            shown = euros(expected) if expected is not None else ""
            found.append(Mismatch(line.line_id, "unit_price", shown, euros(price), difference))
        elif quantity > open_here:
            found.append(Mismatch(line.line_id, "quantity", str(max(open_here, 0)), str(quantity),
                                  (quantity - max(open_here, 0)) * price))  # fmt: skip
        claimed[price] += quantity
        if line.net_cents != price * quantity:
            found.append(Mismatch(line.line_id, "net_amount", euros(price * quantity),
                                  euros(line.net_cents) if line.net_cents is not None else "",
                                  (line.net_cents or 0) - price * quantity))  # fmt: skip
    return found


def _expected_price(open_by_price: Mapping[int, int], invoiced: int) -> int | None:
    """The call-off price the line should have had: of those still open, the nearest to what was invoiced."""
    candidates = [p for p, q in open_by_price.items() if q > 0] or list(open_by_price)
    return min(candidates, key=lambda p: (abs(p - invoiced), p)) if candidates else None


def _total_mismatches(data: InvoiceData, lines: list[Line]) -> list[Mismatch]:
    if any(line.quantity is None or line.unit_price_cents is None or line.vat_rate_bps is None for line in lines):
        return []  # the lines say already what is wrong; no total can be recomputed
    net_by_rate: dict[int, int] = defaultdict(int)
    for line in lines:
        net_by_rate[line.vat_rate_bps or 0] += (line.quantity or 0) * (line.unit_price_cents or 0)
    net = sum(net_by_rate.values())
    tax = sum(vat_cents(amount, rate) for rate, amount in net_by_rate.items())
    found = []
    for term, expected, invoiced in (("net_total", net, data.tax_exclusive), ("tax_total", tax, data.tax_total),
                                     ("gross_total", net + tax, data.tax_inclusive)):  # fmt: skip
        invoiced_cents = cents(invoiced) if invoiced is not None else 0
        if invoiced_cents != expected:
            found.append(Mismatch("", term, euros(expected), str(invoiced if invoiced is not None else ""),
                                  (invoiced_cents or 0) - expected))  # fmt: skip
    return found


def _rate(rate_bps: int | None) -> str:
    return "" if rate_bps is None else str((Decimal(rate_bps) / HUNDRED).quantize(Decimal("0.01")))


def open_quantities(called_off: Mapping[int, int], invoiced: Mapping[int, int], credit_note: bool) -> dict[int, int]:
    """Per unit price: what a city may still be invoiced for (called off less invoiced), or, for a credit note,
    credited for (invoiced, net of earlier credits). Prices at which nothing was ever called off are left out."""
    if credit_note:
        return {price: quantity for price, quantity in invoiced.items() if quantity > 0}
    return {price: quantity - invoiced.get(price, 0) for price, quantity in called_off.items() if quantity > 0}


def vat_of_lines(lines: Sequence[tuple[int, int]]) -> list[int]:
    """Each line's share, to the cent, of its rate's VAT as the invoice states it (per rate, rounded half up):
    `lines` are (net cents, rate); the shares of a rate add up to that rate's VAT (largest remainder)."""
    shares = [0] * len(lines)
    for rate in {rate for _, rate in lines}:
        positions = [i for i, (_, r) in enumerate(lines) if r == rate]
        net = sum(lines[i][0] for i in positions)
        tax = vat_cents(net, rate)
        if not net:
            continue
        exact = {i: Decimal(lines[i][0]) * tax / net for i in positions}
        floors = {i: int(exact[i].to_integral_value(rounding=ROUND_FLOOR)) for i in positions}
        left = tax - sum(floors.values())
        for i in sorted(positions, key=lambda i: (floors[i] - exact[i], i))[:left]:
            floors[i] += 1
        for i in positions:
            shares[i] = floors[i]
    return shares
