"""The de-minimis rule of § 132 (3) GWB over any sequence of changes, against an independent computation."""

from __future__ import annotations

import datetime as dt

from civicpool_common.errors import DomainError
from civicpool_contracts.changes import ChangeRequest, History, Terms, assessed
from civicpool_contracts.models import Contract, ContractChange
from hypothesis import given, settings
from hypothesis import strategies as st

EU_THRESHOLD = 21_600_000
START, END = dt.date(2027, 1, 1), dt.date(2028, 12, 31)
WHY = "eine schriftliche Begründung der Änderung"

price_steps = st.tuples(st.just("price"), st.integers(-400, 600))  # cents added to the unit price
quantity_steps = st.tuples(st.just("quantity"), st.integers(1, 40))  # seats added
changes = st.lists(st.one_of(price_steps, quantity_steps), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(price=st.integers(100, 10**7), ceiling=st.integers(1, 500), called_off=st.integers(0, 500), steps=changes)
def test_a_change_without_a_ground_passes_exactly_while_all_changes_stay_within_the_limits(
    price: int, ceiling: int, called_off: int, steps: list[tuple[str, int]]
) -> None:
    called_off = min(called_off, ceiling)
    contract = Contract(id="c", unit_price_cents=price, ceiling_quantity=ceiling, starts_on=START, ends_on=END,
                        vendor_id="rheintal")  # fmt: skip
    made: list[ContractChange] = []
    prices, total = [price], 0  # the independent side: every price the contract had, the net value of changes
    for kind, amount in steps:
        current_price, current_ceiling = contract.unit_price_cents, contract.ceiling_quantity
        if kind == "price":
            new_price = max(1, current_price + amount)
            if new_price == current_price:
                continue
            request = ChangeRequest("price_adjustment", WHY, unit_price_cents=new_price, index_name="VPI")
            value = (new_price - current_price) * (current_ceiling - called_off)
            reference = ceiling * max([*prices, new_price])
        else:
            request = ChangeRequest("quantity_increase", WHY, quota_additions={"bruchsal": amount})
            value = amount * current_price
            reference = ceiling * max(prices)
        allowed = total + value <= min(EU_THRESHOLD, reference // 10)
        history = History(contract, Terms(price, ceiling, START, END, "rheintal"), made, EU_THRESHOLD)
        try:
            after, assessment = assessed(history, request, called_off)
        except DomainError:
            assert not allowed
            continue
        assert allowed and assessment.value_change_cents == value
        made.append(ContractChange(kind=request.kind, unit_price_cents_after=after.unit_price_cents,
                                   value_change_cents=value))  # fmt: skip
        contract.unit_price_cents, contract.ceiling_quantity = after.unit_price_cents, after.ceiling_quantity
        total += value
        if kind == "price":
            prices.append(after.unit_price_cents)
