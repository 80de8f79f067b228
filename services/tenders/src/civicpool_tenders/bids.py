"""Bids: checking a vendor's offer, storing it, and what a reader is shown of it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from civicpool_common import scoring
from civicpool_common.errors import (
    FieldViolation,
    InvalidArgument,
)
from civicpool_common.messages import Text
from civicpool_common.money import MAX_CENTS
from civicpool_common.vocabulary import (
    BidOutcome,
    BidStatus,
    HostingRegion,
    TenderStatus,
)

from civicpool_tenders import rules
from civicpool_tenders.models import (
    Bid,
    Lot,
    LotItem,
    Tender,
)


@dataclass(frozen=True)
class BidDraft:
    lot_id: str
    prices: Sequence[scoring.ItemPrice]
    delivery_days: int
    hosting_region: HostingRegion | None
    dpa_offered: bool
    open_source: bool


@dataclass(frozen=True)
class BidView:
    bid: Bid
    evaluated_price_cents: int
    data_protection_proposed: int
    data_protection_basis: str
    outcome: BidOutcome


def bid_prices(bid: Bid) -> list[scoring.ItemPrice]:
    return [
        scoring.ItemPrice(
            str(p["item_id"]),
            int(str(p["unit_price_cents"])),
            tuple(scoring.Tier(int(t["min_quantity"]), int(t["unit_price_cents"])) for t in p.get("tiers", ())),  # type: ignore[attr-defined]
        )
        for p in bid.prices
    ]


def bid_region(bid: Bid) -> HostingRegion | None:
    return HostingRegion(bid.hosting_region) if bid.hosting_region else None


def quantities_by_lot(items: Sequence[LotItem]) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for item in items:
        found.setdefault(item.lot_id, {})[item.item_id] = item.quantity
    return found


def check_bid(draft: BidDraft, quantities: Mapping[str, int], lot_number: int) -> None:
    violations: list[FieldViolation] = []
    priced = [p.item_id for p in draft.prices]
    for item_id in sorted(set(quantities) - set(priced)):
        violations.append(
            FieldViolation("prices", Text("lot {lot} needs a price for item {item}", lot=lot_number, item=item_id))
        )
    for index, price in enumerate(draft.prices):
        if price.item_id not in quantities:
            violations.append(
                FieldViolation(
                    f"prices[{index}].item_id",
                    Text("item {item} is not in lot {lot}", item=repr(price.item_id), lot=lot_number),
                )
            )
        elif priced.count(price.item_id) > 1:
            violations.append(FieldViolation(f"prices[{index}].item_id", Text("priced twice")))
        tiers = [(t.min_quantity, t.unit_price_cents) for t in price.tiers]
        violations += rules.price_violations(f"prices[{index}]", price.unit_price_cents, tiers)
    if not 0 <= draft.delivery_days <= rules.MAX_DELIVERY_DAYS:
        violations.append(
            FieldViolation("delivery_days", Text("must be between 0 and {max}", max=rules.MAX_DELIVERY_DAYS))
        )
    if violations:
        raise InvalidArgument(Text("the bid is not valid"), violations=violations)
    total = scoring.bid_price_cents(quantities, draft.prices)
    if total > MAX_CENTS:
        raise InvalidArgument.for_field("prices", Text("the lot's total at these prices is beyond what can be counted"))


def fill_bid(bid: Bid, draft: BidDraft, user: str, now: dt.datetime) -> None:
    bid.status = BidStatus.SUBMITTED.value
    bid.prices = [
        {"item_id": p.item_id, "unit_price_cents": p.unit_price_cents,
         "tiers": [{"min_quantity": t.min_quantity, "unit_price_cents": t.unit_price_cents}
                   for t in sorted(p.tiers, key=lambda t: t.min_quantity)]}
        for p in draft.prices
    ]  # fmt: skip
    bid.delivery_days = draft.delivery_days
    bid.hosting_region = draft.hosting_region.value if draft.hosting_region else ""
    bid.dpa_offered, bid.open_source = draft.dpa_offered, draft.open_source
    bid.submitted_by, bid.updated_at = user, now


def bid_view(bid: Bid, quantities: Mapping[str, int], lot: Lot | None, tender: Tender) -> BidView:
    proposed, basis = scoring.proposed_data_protection(bid_region(bid), bid.dpa_offered, bid.open_source)
    outcome = BidOutcome.PENDING
    if tender.status == TenderStatus.AWARDED:
        awarded = lot.awarded_bids if lot is not None else []
        outcome = BidOutcome.AWARDED if bid.id in awarded else BidOutcome.NOT_AWARDED
    elif tender.status == TenderStatus.CANCELLED:
        outcome = BidOutcome.NOT_AWARDED
    return BidView(bid, scoring.bid_price_cents(quantities, bid_prices(bid)), proposed, basis, outcome)
