"""MEAT evaluation (most economically advantageous tender) as pure functions: the tenders service ranks bids
with them, the contracts service the offers of a framework's mini-competition.

- **Price of a bid**: the lot's quantities at the bid's unit prices, each unit
  price taken from the highest volume tier the tendered quantity reaches.
- **Price score**: the lowest-price formula, lowest price / this price × 100
  (a bid of 0 cents scores 100; against a 0-cent bid every other bid scores 0).
- **Data protection**, proposed from the declarations: hosting in Germany or
  nothing hosted off-site 60, in the EU 40, in a third country 0; a
  data-processing agreement offered +25; open source +15. So DE + DPA + open
  source is 100 and a third country without either is 0. The lead may set
  another score with a reason.
- **Total**: (price weight × price score + quality weight × quality + data
  protection weight × data protection) / 100, computed exactly (fractions);
  shown as thousandths of a point, rounded half up.
- **Ranking** per lot by the exact total, highest first. Equal totals are
  decided, in this order, by the lower price, the higher data-protection
  score, the higher quality score, and finally by drawing lots: the lower
  SHA-256 of "<tender id>:<vendor id>" — reproducible, and no vendor is
  favoured by its name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from civicpool_common.messages import Text
from civicpool_common.vocabulary import HostingRegion

REGION_POINTS = {None: 60, HostingRegion.DE: 60, HostingRegion.EU: 40, HostingRegion.THIRD_COUNTRY: 0}
DPA_POINTS = 25
OPEN_SOURCE_POINTS = 15


@dataclass(frozen=True)
class Tier:
    min_quantity: int
    unit_price_cents: int


@dataclass(frozen=True)
class ItemPrice:
    item_id: str
    unit_price_cents: int
    tiers: tuple[Tier, ...] = ()

    def unit_price_for(self, quantity: int) -> int:
        """The unit price at `quantity`: the highest tier reached, else the base price."""
        reached = [t for t in self.tiers if t.min_quantity <= quantity]
        return max(reached, key=lambda t: t.min_quantity).unit_price_cents if reached else self.unit_price_cents


def bid_price_cents(quantities: Mapping[str, int], prices: Sequence[ItemPrice]) -> int:
    """What the lot costs at this bid's prices (every lot item must be priced)."""
    by_item = {p.item_id: p for p in prices}
    return sum(quantity * by_item[item_id].unit_price_for(quantity) for item_id, quantity in quantities.items())


def proposed_data_protection(region: HostingRegion | None, dpa_offered: bool, open_source: bool) -> tuple[int, str]:
    """The proposed score and the reason in words."""
    parts = [
        "nothing hosted off-site" if region is None else f"hosting {region.value}",
    ]
    score = REGION_POINTS[region]
    parts[0] += f" {score}"
    if dpa_offered:
        score += DPA_POINTS
        parts.append(f"data-processing agreement +{DPA_POINTS}")
    if open_source:
        score += OPEN_SOURCE_POINTS
        parts.append(f"open source +{OPEN_SOURCE_POINTS}")
    return score, ", ".join(parts) + f" = {score}"


@dataclass(frozen=True)
class Weights:
    price: int
    quality: int
    data_protection: int

    def problems(self) -> list[tuple[str, Text]]:
        found = [
            (name, Text("must be between 0 and {max}", max=100))
            for name in ("price", "quality", "data_protection")
            if not 0 <= getattr(self, name) <= 100
        ]
        total = self.price + self.quality + self.data_protection
        if total != 100:
            found.append(("weights", Text("must sum to 100, not {total}", total=total)))
        return found


@dataclass(frozen=True)
class Candidate:
    bid_id: str
    vendor_id: str
    price_cents: int
    quality: int
    data_protection: int


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    price_score: Fraction
    total: Fraction
    rank: int
    tie_break: str  # what placed it ahead of the next bid, when their totals were equal

    @property
    def price_score_milli(self) -> int:
        return milli(self.price_score)

    @property
    def total_milli(self) -> int:
        return milli(self.total)


def milli(points: Fraction) -> int:
    """Thousandths of a point, rounded half up."""
    return int((points * 1000 + Fraction(1, 2)) // 1)


def price_score(lowest_cents: int, price_cents: int) -> Fraction:
    if price_cents == 0:
        return Fraction(100)
    return Fraction(lowest_cents * 100, price_cents)


def draw(tender_id: str, vendor_id: str) -> str:
    return hashlib.sha256(f"{tender_id}:{vendor_id}".encode()).hexdigest()


def rank_lot(tender_id: str, candidates: Sequence[Candidate], weights: Weights) -> list[Scored]:
    """The lot's bids scored and ranked, best first."""
    if not candidates:
        return []
    lowest = min(c.price_cents for c in candidates)
    totals = {}
    for c in candidates:
        score = price_score(lowest, c.price_cents)
        total = (
            weights.price * score + weights.quality * c.quality + weights.data_protection * c.data_protection
        ) / 100
        totals[c.bid_id] = (score, Fraction(total))

    def order(c: Candidate) -> tuple[Fraction, int, int, int, str]:
        return (-totals[c.bid_id][1], c.price_cents, -c.data_protection, -c.quality, draw(tender_id, c.vendor_id))

    ranked = sorted(candidates, key=order)
    scored = []
    for position, candidate in enumerate(ranked):
        following = ranked[position + 1] if position + 1 < len(ranked) else None
        score, total = totals[candidate.bid_id]
        scored.append(Scored(candidate, score, total, position + 1, _tie_break(candidate, following, totals)))
    return scored


def _tie_break(this: Candidate, following: Candidate | None, totals: Mapping[str, tuple[Fraction, Fraction]]) -> str:
    if following is None or totals[this.bid_id][1] != totals[following.bid_id][1]:
        return ""
    if this.price_cents != following.price_cents:
        return "equal total; lower price"
    if this.data_protection != following.data_protection:
        return "equal total and price; higher data protection"
    if this.quality != following.quality:
        return "equal total, price and data protection; higher quality"
    return "equal in every criterion; drawn by lot (SHA-256 of tender and vendor id)"
