"""The score table of an evaluation and the checks of an award, from stored bids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from civicpool_common import scoring
from civicpool_common.errors import (
    FieldViolation,
    InvalidArgument,
)
from civicpool_common.messages import N_, Text

from civicpool_tenders import rules
from civicpool_tenders.bids import bid_prices, bid_region
from civicpool_tenders.models import (
    Bid,
    BidScore,
    Lot,
)

_TOO_LONG = Text("must have at most {limit} characters", limit=rules.MAX_TEXT)
_FRAMEWORK_ORDER = N_(
    "a framework with several vendors takes the best-ranked bids in their order: name the bid ranked 1 on lot {lot}"
)
_PERCENT = Text("must be between 0 and {max}", max=100)


@dataclass(frozen=True)
class ScoreInput:
    bid_id: str
    quality: int
    data_protection: int | None
    data_protection_reason: str = ""
    quality_note: str = ""


@dataclass(frozen=True)
class AwardDecision:
    lot_id: str
    bid_id: str
    justification: str = ""
    vendors: int = 1  # more: a framework with the best-ranked this many bids, bid_id the first


def awarded_bids(decision: AwardDecision, scores: Sequence[BidScore]) -> list[str]:
    """The bids a checked decision awards, in the order of the cascade: its bid, or a framework's best-ranked."""
    if decision.vendors <= 1:
        return [decision.bid_id]
    ranked = sorted((s for s in scores if s.lot_id == decision.lot_id), key=lambda s: s.rank)
    return [s.bid_id for s in ranked[: decision.vendors]]


def score_rows(
    tender_id: str,
    bids: Sequence[Bid],
    quantities: Mapping[str, Mapping[str, int]],
    weights: scoring.Weights,
    inputs: Sequence[ScoreInput],
) -> list[BidScore]:
    by_bid = {i.bid_id: i for i in inputs}
    known = {b.id for b in bids}
    violations = [FieldViolation(f"scores[{n}].bid_id", Text("{bid} is not a submitted bid of this tender",
                                                              bid=repr(i.bid_id)))
                  for n, i in enumerate(inputs) if i.bid_id not in known]  # fmt: skip
    seen: set[str] = set()
    for n, score in enumerate(inputs):
        if score.bid_id in seen:
            violations.append(FieldViolation(f"scores[{n}].bid_id", Text("scored twice")))
        seen.add(score.bid_id)
        for name, text in (
            ("data_protection_reason", score.data_protection_reason),
            ("quality_note", score.quality_note),
        ):
            if len(text) > rules.MAX_TEXT:
                violations.append(FieldViolation(f"scores[{n}].{name}", _TOO_LONG))
    violations += [
        FieldViolation("scores", Text("bid {bid} of {vendor} has no score", bid=b.id, vendor=b.vendor_id))
        for b in bids
        if b.id not in by_bid
    ]
    candidates: dict[str, list[scoring.Candidate]] = {}
    proposals: dict[str, tuple[int, str]] = {}
    for n, score in enumerate(inputs):
        bid = next((b for b in bids if b.id == score.bid_id), None)
        if bid is None:
            continue
        proposed, basis = scoring.proposed_data_protection(bid_region(bid), bid.dpa_offered, bid.open_source)
        data_protection = proposed if score.data_protection is None else score.data_protection
        if not 0 <= score.quality <= 100:
            violations.append(FieldViolation(f"scores[{n}].quality", _PERCENT))
        if not 0 <= data_protection <= 100:
            violations.append(FieldViolation(f"scores[{n}].data_protection", _PERCENT))
        reason = score.data_protection_reason.strip()
        if data_protection != proposed and not reason:
            violations.append(
                FieldViolation(
                    f"scores[{n}].data_protection_reason",
                    Text(
                        "the declarations propose {proposed} ({basis}); say why the score is {score}",
                        proposed=proposed,
                        basis=basis,
                        score=data_protection,
                    ),
                )
            )
        proposals[bid.id] = (proposed, reason or basis)
        price = scoring.bid_price_cents(quantities[bid.lot_id], bid_prices(bid))
        candidates.setdefault(bid.lot_id, []).append(
            scoring.Candidate(bid.id, bid.vendor_id, price, score.quality, data_protection)
        )
    if violations:
        raise InvalidArgument(Text("the evaluation is not valid"), violations=violations)
    rows = []
    for lot_id, lot_candidates in candidates.items():
        for scored in scoring.rank_lot(tender_id, lot_candidates, weights):
            c = scored.candidate
            rows.append(
                BidScore(
                    bid_id=c.bid_id,
                    tender_id=tender_id,
                    lot_id=lot_id,
                    vendor_id=c.vendor_id,
                    evaluated_price_cents=c.price_cents,
                    price_score_milli=scored.price_score_milli,
                    quality_score=c.quality,
                    quality_note=by_bid[c.bid_id].quality_note.strip(),
                    data_protection_score=c.data_protection,
                    data_protection_proposed=proposals[c.bid_id][0],
                    data_protection_reason=proposals[c.bid_id][1],
                    total_score_milli=scored.total_milli,
                    rank=scored.rank,
                    tie_break=scored.tie_break,
                )
            )
    return rows


def check_decisions(
    lots: Sequence[Lot], scores: Sequence[BidScore], decisions: Sequence[AwardDecision]
) -> dict[str, AwardDecision]:
    lots_by_id = {lot.id: lot for lot in lots}
    scored = {s.bid_id: s for s in scores}
    lots_with_bids = {s.lot_id for s in scores}
    violations: list[FieldViolation] = []
    chosen: dict[str, AwardDecision] = {}
    for n, decision in enumerate(decisions):
        lot = lots_by_id.get(decision.lot_id)
        score = scored.get(decision.bid_id)
        if lot is None:
            violations.append(
                FieldViolation(f"awards[{n}].lot_id", Text("the tender has no lot {lot}", lot=repr(decision.lot_id)))
            )
            continue
        if decision.lot_id in chosen:
            violations.append(FieldViolation(f"awards[{n}].lot_id", Text("lot {lot} is awarded twice", lot=lot.number)))
        if score is None or score.lot_id != lot.id:
            violations.append(
                FieldViolation(f"awards[{n}].bid_id", Text("not an evaluated bid on lot {lot}", lot=lot.number))
            )
        elif len(decision.justification) > rules.MAX_TEXT:
            violations.append(FieldViolation(f"awards[{n}].justification", _TOO_LONG))
        elif decision.vendors != 1:
            bidders = sum(s.lot_id == lot.id for s in scores)
            violations += _framework_violations(n, lot, score, decision.vendors, bidders)
        elif score.rank != 1 and not decision.justification.strip():
            violations.append(
                FieldViolation(
                    f"awards[{n}].justification",
                    Text(
                        "the bid ranks {rank} on lot {lot}; awarding it needs a written justification",
                        rank=score.rank,
                        lot=lot.number,
                    ),
                )
            )
        chosen[decision.lot_id] = decision
    for lot in lots:
        if lot.id in lots_with_bids and lot.id not in chosen:
            violations.append(
                FieldViolation("awards", Text("lot {lot} has bids but no award decision", lot=lot.number))
            )
    if violations:
        raise InvalidArgument(Text("the award is not valid"), violations=violations)
    return chosen


def _framework_violations(n: int, lot: Lot, score: BidScore, vendors: int, bidders: int) -> list[FieldViolation]:
    """A framework with several vendors takes the best-ranked bids in their order (§ 21 (4) Nr. 1 VgV: the cascade
    follows the evaluation): no more than the lot's evaluated bids, the one named ranked first."""
    if not 1 <= vendors <= min(bidders, rules.MAX_FRAMEWORK_VENDORS):
        return [
            FieldViolation(
                f"awards[{n}].vendors",
                Text(
                    "lot {lot} has {count} evaluated bids: a framework takes between 1 and {max} of them",
                    lot=lot.number,
                    count=bidders,
                    max=min(bidders, rules.MAX_FRAMEWORK_VENDORS),
                ),
            )
        ]
    if score.rank != 1:
        return [
            FieldViolation(
                f"awards[{n}].bid_id",
                Text(_FRAMEWORK_ORDER, lot=lot.number),
            )
        ]
    return []
