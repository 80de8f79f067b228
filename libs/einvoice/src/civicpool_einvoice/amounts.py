"""Amounts as invoices state them: integer cents written as euros with two decimals, and VAT on a net amount at a
rate rounded half up to the cent (as an invoice's VAT breakdown is, per rate)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def vat_cents(net_cents: int, rate_bps: int) -> int:
    return int((Decimal(net_cents) * rate_bps / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def euros(amount_cents: int) -> str:
    """1234 -> "12.34", as an invoice writes an amount."""
    return str((Decimal(amount_cents) / 100).quantize(Decimal("0.01")))
