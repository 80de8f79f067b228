"""The whole chain through the generated Python SDK (clients/python), as a city's script would use it.

demand -> tender -> award -> call-off -> statement, with tokens from the real
Keycloak and the real gateway: the SDK, the committed openapi.json and the
server agree, or this fails.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from civicpool_client import (
    AwardBody,
    BidFields,
    BidPrice,
    CallOffBody,
    CatalogApi,
    ContractsApi,
    DemandApi,
    EvaluateBody,
    HostingRegion,
    LineFields,
    LotAward,
    ReportsApi,
    RoundFields,
    ScoreFields,
    TenderCreate,
    TenderPatch,
    TendersApi,
    Weights,
)
from civicpool_client.exceptions import ApiException

from tests.integration.conftest import Client

BIDDING_SECONDS = 4


def test_demand_to_statement_through_the_sdk(client: Client) -> None:
    lead, bruchsal = client("ettlingen.lead"), client("bruchsal.it")
    headset = next(i for i in CatalogApi(lead).list_items(limit=500).data if i.sku == "HEADSET-USB")

    now = dt.datetime.now(dt.UTC)
    fields = RoundFields(title=f"SDK {uuid.uuid4().hex[:8]}", opens_at=now - dt.timedelta(minutes=1),
                         closes_at=now + dt.timedelta(days=1))  # fmt: skip
    round_ = DemandApi(lead).create_round(fields)
    DemandApi(lead).open_round(round_.id)
    line = DemandApi(bruchsal).create_line(round_.id, LineFields(item_id=headset.id, quantity=12, justification="SDK"))
    assert (line.city_id, line.quantity) == ("bruchsal", 12)
    DemandApi(lead).close_round(round_.id)

    tenders = TendersApi(lead)
    tender = tenders.create_tender(TenderCreate(round_id=round_.id))
    due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=BIDDING_SECONDS)
    tender = tenders.update_tender(tender.id, TenderPatch(bids_due_at=due, version=tender.version))
    tender = tenders.publish_tender(tender.id)
    lot = tender.lots[0]
    price = BidPrice(item_id=headset.id, unit_price_cents=4_200)
    bid_fields = BidFields(lot_id=lot.id, prices=[price], delivery_days=7, hosting_region=HostingRegion.DE,
                           dpa_offered=True, open_source=False)  # fmt: skip
    bid = TendersApi(client("vendor.rheintal")).submit_bid(tender.id, bid_fields)
    # A typed refusal: the bids are sealed until the deadline.
    with pytest.raises(ApiException) as sealed:
        tenders.close_bidding(tender.id)
    assert sealed.value.status == 409
    time.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds()) + 0.5)
    tenders.close_bidding(tender.id)
    weights = Weights(price=70, quality=20, data_protection=10)
    evaluation = tenders.evaluate_tender(
        tender.id, EvaluateBody(weights=weights, scores=[ScoreFields(bid_id=bid.id, quality=80)])
    )
    assert [row.rank for row in evaluation.rows] == [1]
    awarded = tenders.award_tender(tender.id, AwardBody(awards=[LotAward(lot_id=lot.id, bid_id=bid.id)]))
    contract = awarded.contracts[0]
    assert (contract.unit_price_cents, contract.ceiling_quantity) == (4_200, 12)

    key = str(uuid.uuid4())
    operation = ContractsApi(bruchsal).call_off(
        contract.id, CallOffBody(city_id="bruchsal", quantity=10), idempotency_key=key
    )
    again = ContractsApi(bruchsal).call_off(
        contract.id, CallOffBody(city_id="bruchsal", quantity=10), idempotency_key=key
    )
    assert again.replayed and again.transaction.id == operation.transaction.id  # a retry moves nothing twice

    statement = ReportsApi(client("bruchsal.finance")).statement(city="bruchsal")
    posted = [entry for entry in statement.lines if entry.transaction_id == operation.transaction.id]
    assert [entry.amount_cents for entry in posted] == [42_000]  # 10 headsets at 42,00 €
    # Readable numbers through the SDK: the tender's and the contract's (Ettlingen leads), the call-off's (Bruchsal).
    assert tender.reference.startswith("ETT-") and contract.reference.startswith("ETT-")
    assert operation.transaction.reference is not None and operation.transaction.reference.startswith("BRU-")
    assert [entry.text for entry in posted] == [f"Call-off 10 × {contract.name}, contract {contract.reference}"]
    found = ContractsApi(lead).list_contracts(reference=contract.reference.lower()).data
    assert [c.id for c in found] == [contract.id]
