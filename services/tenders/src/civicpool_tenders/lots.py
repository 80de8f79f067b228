"""Lots from a round's demand: one per item, or per group of items the lead names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from civicpool_common.errors import (
    FieldViolation,
    InvalidArgument,
)
from civicpool_common.ids import time_ordered_id
from civicpool_common.messages import Text
from sqlalchemy.ext.asyncio import AsyncSession

from civicpool_tenders.clients import ItemDemand, ItemInfo
from civicpool_tenders.models import (
    Lot,
    LotItem,
    LotShare,
    Tender,
)


@dataclass(frozen=True)
class LotGroup:
    title: str
    item_ids: Sequence[str]


@dataclass(frozen=True)
class LotPlan:
    title: str
    items: list[tuple[ItemInfo, int, dict[str, int]]]  # item, quantity, shares

    @property
    def estimated_cents(self) -> int:
        return sum(item.reference_price_cents * quantity for item, quantity, _ in self.items)


def form_lots(demand: Sequence[ItemDemand], items: Mapping[str, ItemInfo], groups: Sequence[LotGroup]) -> list[LotPlan]:
    by_item = {d.item_id: d for d in demand}
    violations: list[FieldViolation] = []
    grouped: set[str] = set()
    for index, group in enumerate(groups):
        if not group.item_ids:
            violations.append(FieldViolation(f"lot_groups[{index}].item_ids", Text("name at least one item")))
        if len(group.title) > 200:
            violations.append(
                FieldViolation(f"lot_groups[{index}].title", Text("must have at most {limit} characters", limit=200))
            )
        for item_id in group.item_ids:
            if item_id not in by_item:
                violations.append(
                    FieldViolation(
                        f"lot_groups[{index}].item_ids",
                        Text("the round has no demand for item {item}", item=repr(item_id)),
                    )
                )
            elif item_id in grouped:
                violations.append(
                    FieldViolation(f"lot_groups[{index}].item_ids", Text("{item} is in two lots", item=repr(item_id)))
                )
            grouped.add(item_id)
    missing = sorted(set(by_item) - set(items))
    if missing:
        violations.append(
            FieldViolation("round_id", Text("items no longer in the catalog: {items}", items=", ".join(missing)))
        )
    if violations:
        raise InvalidArgument(Text("the lots cannot be formed"), violations=violations)

    def entry(item_id: str) -> tuple[ItemInfo, int, dict[str, int]]:
        return items[item_id], by_item[item_id].quantity, by_item[item_id].shares

    plans = [
        LotPlan(g.title.strip() or " + ".join(items[i].name for i in g.item_ids), [entry(i) for i in g.item_ids])
        for g in groups
    ]
    singles = sorted((i for i in by_item if i not in grouped), key=lambda i: items[i].sku)
    return plans + [LotPlan(items[i].name, [entry(i)]) for i in singles]


def add_lots(session: AsyncSession, tender: Tender, plans: list[LotPlan]) -> None:
    for number, plan in enumerate(plans, start=1):
        lot = Lot(
            id=time_ordered_id(), tender_id=tender.id, number=number, title=plan.title[:200],
            estimated_value_cents=plan.estimated_cents, awarded_bid_id="", award_justification="",
        )  # fmt: skip
        session.add(lot)
        for item, quantity, shares in plan.items:
            session.add(
                LotItem(
                    lot_id=lot.id,
                    item_id=item.id,
                    tender_id=tender.id,
                    sku=item.sku,
                    name=item.name,
                    unit=item.unit,
                    cpv_code=item.cpv_code,
                    kind=item.kind,
                    reference_price_cents=item.reference_price_cents,
                    quantity=quantity,
                )
            )
            session.add_all(
                LotShare(lot_id=lot.id, item_id=item.id, city_id=city, tender_id=tender.id, quantity=share)
                for city, share in sorted(shares.items())
                if share > 0
            )
