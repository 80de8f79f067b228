"""What the use cases answer about a tender: the records a caller may see, gathered (no rules, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

from civicpool_tenders.models import BidScore, Lot, LotItem, LotShare, Tender, TenderEvent


@dataclass(frozen=True)
class LotView:
    lot: Lot
    items: list[LotItem]
    shares: dict[str, list[LotShare]]  # item -> shares; empty for vendors


@dataclass(frozen=True)
class TenderView:
    tender: Tender
    lots: list[LotView]
    events: list[TenderEvent]
    for_vendor: bool  # estimates, shares and history left out


@dataclass(frozen=True)
class EvaluationView:
    tender: Tender
    rows: list[BidScore]
    lot_numbers: dict[str, int]
