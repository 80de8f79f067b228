"""Tender rules without I/O: procedure thresholds, MEAT scores against an independent computation, ties."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from civicpool_common import messages, scoring
from civicpool_common.lifecycle import StateConflict
from civicpool_common.money import euros
from civicpool_common.vocabulary import HostingRegion, Procedure
from civicpool_contracts import rules as contract_rules
from civicpool_tenders import rules
from civicpool_tenders.procedure import ValueLimits, recommend
from hypothesis import given, settings
from hypothesis import strategies as st

LIMITS = ValueLimits(eu_threshold_cents=21_600_000, direct_award_limit_cents=500_000, restricted_limit_cents=10_000_000)


@pytest.mark.parametrize(
    ("cents", "procedure"),
    [
        (21_599_999, Procedure.OPEN_NATIONAL),  # one cent below the EU threshold
        (21_600_000, Procedure.OPEN_EU),  # at it: the threshold is reached
        (21_600_001, Procedure.OPEN_EU),
        (500_000, Procedure.DIRECT_AWARD),  # national limits apply "up to" their amount
        (500_001, Procedure.RESTRICTED_OR_NEGOTIATED),
        (10_000_000, Procedure.RESTRICTED_OR_NEGOTIATED),
        (10_000_001, Procedure.OPEN_NATIONAL),
        (0, Procedure.DIRECT_AWARD),
    ],
)
def test_the_recommended_procedure_at_every_edge(cents: int, procedure: Procedure) -> None:
    assert recommend(cents, LIMITS).procedure == procedure


def test_the_reason_names_value_threshold_and_distance() -> None:
    reason = recommend(31_245_000, LIMITS).reason
    assert "EUR 312,450.00" in reason and "EUR 216,000.00" in reason and "by EUR 96,450.00" in reason
    below = recommend(21_599_999, LIMITS).reason
    assert "EUR 0.01 below the EU threshold" in below
    assert euros(-150) == "-EUR 1.50"


def test_the_limits_are_settings() -> None:
    assert recommend(100, ValueLimits(100, 0, 50)).procedure == Procedure.OPEN_EU


@pytest.mark.parametrize(
    ("region", "dpa", "oss", "score"),
    [
        (HostingRegion.DE, True, True, 100),
        (None, True, True, 100),
        (HostingRegion.EU, True, False, 65),
        (HostingRegion.THIRD_COUNTRY, False, False, 0),
        (HostingRegion.THIRD_COUNTRY, True, True, 40),
    ],
)
def test_data_protection_is_proposed_from_the_declarations(
    region: HostingRegion | None, dpa: bool, oss: bool, score: int
) -> None:
    proposed, reason = scoring.proposed_data_protection(region, dpa, oss)
    assert proposed == score and reason.endswith(f"= {score}")


def test_the_highest_tier_reached_sets_the_unit_price() -> None:
    price = scoring.ItemPrice("i", 1_000, (scoring.Tier(100, 900), scoring.Tier(50, 950)))
    assert [price.unit_price_for(q) for q in (49, 50, 99, 100, 10_000)] == [1_000, 950, 950, 900, 900]
    assert scoring.bid_price_cents({"i": 60}, [price]) == 60 * 950


def test_weights_must_each_be_0_to_100_and_sum_to_100() -> None:
    assert scoring.Weights(60, 25, 15).problems() == []
    assert [(field, str(text)) for field, text in scoring.Weights(60, 25, 10).problems()] == [
        ("weights", "must sum to 100, not 95")
    ]
    problems = [(field, str(text)) for field, text in scoring.Weights(150, -50, 0).problems()]
    assert ("price", "must be between 0 and 100") in problems


# -- an independent computation -------------------------------------------------------------------


def _expected(tender_id: str, bids: list[scoring.Candidate], w: scoring.Weights) -> list[tuple[str, int, int]]:
    """Decimal arithmetic at 60 digits and a plain sort: (bid, price score milli, total milli) best first."""
    with localcontext() as ctx:
        ctx.prec = 60
        lowest = min(b.price_cents for b in bids)
        rows = []
        for b in bids:
            price = Decimal(100) if b.price_cents == 0 else Decimal(lowest) * 100 / Decimal(b.price_cents)
            total = (w.price * price + w.quality * b.quality + w.data_protection * b.data_protection) / 100
            rows.append((b, price, total))

        # Equal totals (to 40 digits) fall to price, data protection, quality, then the documented draw.
        def draw(vendor_id: str) -> str:
            return hashlib.sha256(f"{tender_id}:{vendor_id}".encode()).hexdigest()

        rows.sort(key=lambda r: (-r[2].quantize(Decimal("1e-40")), r[0].price_cents, -r[0].data_protection,
                                 -r[0].quality, draw(r[0].vendor_id)))  # fmt: skip

        def milli(points: Decimal) -> int:
            return int((points * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))

        return [(r[0].bid_id, milli(r[1]), milli(r[2])) for r in rows]


candidates = st.lists(
    st.tuples(st.integers(0, 5_000_000), st.integers(0, 100), st.integers(0, 100)), min_size=1, max_size=8
)
weights = st.tuples(st.integers(0, 100), st.integers(0, 100)).filter(lambda w: sum(w) <= 100)


@settings(max_examples=300, deadline=None)
@given(candidates, weights)
def test_scores_and_ranks_equal_an_independent_computation(
    values: list[tuple[int, int, int]], two_weights: tuple[int, int]
) -> None:
    w = scoring.Weights(two_weights[0], two_weights[1], 100 - sum(two_weights))
    bids = [scoring.Candidate(f"b{n}", f"v{n}", price, quality, dp) for n, (price, quality, dp) in enumerate(values)]
    ranked = scoring.rank_lot("t-1", bids, w)
    assert [(s.candidate.bid_id, s.price_score_milli, s.total_milli) for s in ranked] == _expected("t-1", bids, w)
    assert [s.rank for s in ranked] == list(range(1, len(bids) + 1))


def test_ties_are_broken_by_price_then_data_protection_then_quality_then_a_draw() -> None:
    w = scoring.Weights(0, 50, 50)  # price has no weight: equal totals with different prices
    cheaper = scoring.Candidate("b1", "v1", 900, 80, 60)
    dearer = scoring.Candidate("b2", "v2", 1_000, 60, 80)
    first, second = scoring.rank_lot("t", [dearer, cheaper], w)
    assert (first.candidate.bid_id, first.tie_break) == ("b1", "equal total; lower price")
    assert second.tie_break == ""
    a, b = scoring.Candidate("b1", "alpha", 1_000, 70, 70), scoring.Candidate("b2", "beta", 1_000, 70, 70)
    drawn = scoring.rank_lot("t-42", [a, b], w)
    assert drawn[0].tie_break.startswith("equal in every criterion")
    again = scoring.rank_lot("t-42", [b, a], w)  # the input order does not matter
    assert [s.candidate.bid_id for s in drawn] == [s.candidate.bid_id for s in again]


def test_a_free_offer_scores_100_and_leaves_others_0() -> None:
    free, paid = scoring.Candidate("b1", "v1", 0, 0, 0), scoring.Candidate("b2", "v2", 500, 0, 0)
    ranked = scoring.rank_lot("t", [paid, free], scoring.Weights(100, 0, 0))
    assert [(s.candidate.bid_id, s.price_score_milli) for s in ranked] == [("b1", 100_000), ("b2", 0)]


# -- lifecycle and terms --------------------------------------------------------------------------

ACTIONS = ("publish", "close_bidding", "evaluate", "award", "cancel")
ALLOWED = {("draft", "publish"): "published", ("published", "close_bidding"): "bidding_closed",
           ("bidding_closed", "evaluate"): "evaluated", ("evaluated", "evaluate"): "evaluated",
           ("evaluated", "award"): "awarded", ("draft", "cancel"): "cancelled", ("published", "cancel"): "cancelled",
           ("bidding_closed", "cancel"): "cancelled", ("evaluated", "cancel"): "cancelled"}  # fmt: skip


@pytest.mark.parametrize("status", ["draft", "published", "bidding_closed", "evaluated", "awarded", "cancelled"])
@pytest.mark.parametrize("action", ACTIONS)
def test_every_transition_is_allowed_or_refused_naming_the_status(status: str, action: str) -> None:
    if (status, action) in ALLOWED:
        assert rules.check_transition(action, status) == ALLOWED[status, action]
    else:
        with pytest.raises(StateConflict) as refusal:
            rules.check_transition(action, status)
        assert refusal.value.metadata["current_status"] == status
        english, german = (messages.rendered(refusal.value.message, language) for language in ("en", "de"))
        assert english.startswith(f"the tender is {messages.label('en', 'tender', status)}; ")
        assert german.startswith(f"die Ausschreibung hat den Status {messages.label('de', 'tender', status)}; ")


def test_bids_are_accepted_strictly_before_the_deadline() -> None:
    due = dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC)
    rules.check_bids_accepted("published", due, due - dt.timedelta(microseconds=1))
    with pytest.raises(StateConflict, match="late bids are refused"):
        rules.check_bids_accepted("published", due, due)
    with pytest.raises(StateConflict, match="only while it is published"):
        rules.check_bids_accepted("draft", due, due - dt.timedelta(days=1))


def test_contract_terms() -> None:
    start = dt.date(2027, 1, 1)
    assert rules.default_term(start) == (start, dt.date(2028, 12, 31), dt.date(2028, 10, 2))
    # ends_on is the term's last day: 2027-01-01 to 2030-12-31 are exactly four years
    assert rules.contract_term_violations(start, dt.date(2030, 12, 31), start, start) == []
    fields = [v.field for v in rules.contract_term_violations(start, dt.date(2031, 1, 1), dt.date(2032, 1, 1), start)]
    assert fields == ["ends_on", "renewal_notice_on"]
    assert rules.default_term(dt.date(2028, 2, 29))[1] == dt.date(2030, 2, 28)


def test_a_contract_cannot_start_before_its_award() -> None:
    award_day = dt.date(2027, 1, 10)
    assert rules.contract_term_violations(award_day, dt.date(2028, 1, 9), award_day, award_day) == []
    earlier = rules.contract_term_violations(dt.date(2027, 1, 9), dt.date(2028, 1, 8), dt.date(2027, 1, 9), award_day)
    assert [(v.field, "before today (2027-01-10)" in str(v.description)) for v in earlier] == [("starts_on", True)]


def test_a_contract_past_its_last_day_is_expired() -> None:
    last_day = dt.date(2028, 12, 31)
    assert contract_rules.effective_contract_status("active", last_day, last_day) == "active"
    assert contract_rules.effective_contract_status("active", last_day, dt.date(2029, 1, 1)) == "expired"
    assert contract_rules.effective_contract_status("terminated", last_day, dt.date(2027, 1, 1)) == "terminated"
