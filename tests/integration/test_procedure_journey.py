"""A whole joint purchase above the EU threshold through the generated SDK, with the demo's Keycloak users.

Ettlingen leads a tender for Bruchsal's and Bühl's 250 notebooks (224.750 € estimated: above the EU threshold of
216.000 €), docking stations and webcams: three lots, one document each; two vendor questions, the second answered
only after the deadline is extended; a document changed; sealed bids from four vendors; the notebooks awarded as a
framework to the three best, the other lots to one vendor each; the information notices; a review application
recorded and dismissed; the contracts concluded after the standstill; a mini-competition won by the second-ranked
vendor; a cascade call-off after the first declines; a § 132 change within the de-minimis limit and one beyond it;
and an award made on the state's platform, recorded and called off. (Rastatt stays the demo's city without a tender.)

Time passes where the law counts days: the deadlines, the standstill and the offers' due time are moved in the
services' databases (the session's system runs on SQLite), as a clock would move them; nothing else is touched.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from zoneinfo import ZoneInfo

import pytest
from civicpool_cli import demo
from civicpool_cli.demo_clock import end_standstill
from civicpool_cli.stack import Stack
from civicpool_client import (
    AnswerBody,
    AwardBody,
    BidFields,
    BidPrice,
    CallOffBody,
    CatalogApi,
    ChangeKind,
    ComplaintBody,
    ComplaintOutcomeBody,
    ContractChangeBody,
    ContractsApi,
    DemandApi,
    EvaluateBody,
    ExternalAwardBody,
    ExternalItem,
    ExternalLot,
    ExternalPrice,
    ExternalVendor,
    LedgerApi,
    LineFields,
    LotAward,
    MiniCompetitionBody,
    MiniCompetitionsApi,
    OfferBody,
    PassOnBody,
    PassOnCause,
    Procedure,
    QuestionAsk,
    QuotaAddition,
    RoundFields,
    ScoreFields,
    TenderCreate,
    TenderPatch,
    TendersApi,
    Weights,
)
from civicpool_client.exceptions import ApiException

from tests.integration.conftest import Client
from tests.integration.test_notifications import VENDOR_ADDRESSES
from tests.support.mail import wait_for_mails

BERLIN = ZoneInfo("Europe/Berlin")
STORED = "%Y-%m-%d %H:%M:%S.%f"  # how SQLite keeps a UTC time
LAPTOP_PRICES = {"kraichgau": 82_000, "rheintal": 84_000, "schwarzwald": 86_000, "globalmeet": 95_000}
DOCK_PRICES = {"rheintal": 15_000, "kraichgau": 15_400}
WEBCAM_PRICES = {"globalmeet": 6_500}


def _moved(stack: Stack, database: str, statement: str, *values: object) -> None:
    """Time passes: one UPDATE in a service's own database (never a record's content, only its clock)."""
    with sqlite3.connect(stack.data_dir / database) as db:
        assert db.execute(statement, values).rowcount == 1


def _stored(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime(STORED)


def _refusal(raised: pytest.ExceptionInfo[ApiException]) -> tuple[int, str]:
    body = json.loads(raised.value.body or "{}")
    return raised.value.status, str(body.get("detail", ""))


def test_an_eu_framework_tender_from_demand_to_call_offs_and_changes(client: Client, stack: Stack) -> None:
    lead, bruchsal, buehl = client("ettlingen.lead"), client("bruchsal.it"), client("buehl.it")
    vendors = {vendor: client(f"vendor.{vendor}") for vendor in LAPTOP_PRICES}
    items = {i.sku: i.id for i in CatalogApi(lead).list_items(limit=500).data}
    laptop, dock, webcam = items["LAPTOP-14"], items["DOCK-USBC"], items["WEBCAM-FHD"]
    today = dt.datetime.now(BERLIN).date()

    # The demand: a round of Ettlingen, Bruchsal's and Bühl's lines, closed.
    now = dt.datetime.now(dt.UTC)
    round_ = DemandApi(lead).create_round(RoundFields(title=f"Notebooks 2027 {uuid.uuid4().hex[:6]}",
                                                      opens_at=now - dt.timedelta(minutes=1),
                                                      closes_at=now + dt.timedelta(days=1)))  # fmt: skip
    DemandApi(lead).open_round(round_.id)
    for city, item, quantity in ((bruchsal, laptop, 150), (buehl, laptop, 100), (bruchsal, dock, 20),
                                 (buehl, dock, 10), (bruchsal, webcam, 20)):  # fmt: skip
        DemandApi(city).create_line(round_.id, LineFields(item_id=item, quantity=quantity, justification="Ersatz"))
    DemandApi(lead).close_round(round_.id)

    # The tender: above the threshold, so the standstill is on by law; three lots, a document for each.
    tenders = TendersApi(lead)
    tender = tenders.create_tender(TenderCreate(round_id=round_.id))
    assert tender.standstill and tender.estimated_value_cents >= 21_600_000
    lots = {lot.items[0].item_id: lot for lot in tender.lots}
    assert set(lots) == {laptop, dock, webcam}
    documents = [
        tenders.add_tender_document(tender.id, (f"LB-Los{lot.number}.pdf", demo.pdf_document(f"Los {lot.number}")),
                                    title=f"Leistungsbeschreibung Los {lot.number}")
        for lot in sorted(tender.lots, key=lambda lot: lot.number)
    ]  # fmt: skip
    due = dt.datetime.now(dt.UTC) + dt.timedelta(days=20)
    tender = tenders.update_tender(tender.id, TenderPatch(bids_due_at=due, version=tender.version))
    tender = tenders.publish_tender(tender.id)
    seen = TendersApi(vendors["kraichgau"]).list_tender_documents(tender.id).data
    assert sorted(d.title for d in seen) == sorted(d.title for d in documents)

    # Two questions; the first answered at once, the second only after the deadline has come nearer.
    first = TendersApi(vendors["rheintal"]).ask_question(tender.id, QuestionAsk(question="Ist ein Dock je Gerät?"))
    second = TendersApi(vendors["schwarzwald"]).ask_question(
        tender.id, QuestionAsk(question="Gilt die Lieferfrist je Abruf?")
    )
    tenders.answer_question(tender.id, first.id, AnswerBody(answer="Nein, nach Bedarf der Städte."))
    _moved(stack, "tenders.db", "UPDATE tenders SET bids_due_at = ? WHERE id = ?",
           _stored(dt.datetime.now(dt.UTC) + dt.timedelta(days=3)), tender.id)  # 17 days later  # fmt: skip
    with pytest.raises(ApiException) as late:
        tenders.answer_question(tender.id, second.id, AnswerBody(answer="Ja, 10 Werktage je Abruf."))
    status, detail = _refusal(late)
    assert status == 409 and "extend" in detail
    tender = tenders.get_tender(tender.id)
    extended = dt.datetime.now(dt.UTC) + dt.timedelta(days=10)
    tender = tenders.update_tender(tender.id, TenderPatch(bids_due_at=extended, version=tender.version))
    answered = tenders.answer_question(tender.id, second.id, AnswerBody(answer="Ja, 10 Werktage je Abruf."))
    assert answered.answer and answered.vendor_id == "schwarzwald"  # the lead city sees who asked
    published = TendersApi(vendors["globalmeet"]).list_questions(tender.id).data
    assert {q.answer for q in published} == {"Nein, nach Bedarf der Städte.", "Ja, 10 Werktage je Abruf."}
    assert all(q.vendor_id is None and q.asked_by is None for q in published)  # nobody learns who asked

    # A document changes after publication: a new version, every vendor told.
    changed = tenders.add_tender_document_version(
        tender.id, documents[0].id, ("LB-Los1-v2.pdf", demo.pdf_document("Los 1, Fassung 2"))
    )
    assert [v.version for v in changed.versions] == [1, 2]
    told = wait_for_mails(stack.maildir, f"tenders/document/{documents[0].id}/2", len(VENDOR_ADDRESSES))
    assert {mail.to for mail in told} == VENDOR_ADDRESSES

    # Sealed bids from four vendors; the deadline passes; the bids are opened and evaluated.
    bids: dict[tuple[str, str], str] = {}
    for item, prices in ((laptop, LAPTOP_PRICES), (dock, DOCK_PRICES), (webcam, WEBCAM_PRICES)):
        for vendor, cents in prices.items():
            fields = BidFields(lot_id=lots[item].id, prices=[BidPrice(item_id=item, unit_price_cents=cents)],
                               delivery_days=10, dpa_offered=False, open_source=False)  # fmt: skip
            bids[item, vendor] = TendersApi(vendors[vendor]).submit_bid(tender.id, fields).id
    with pytest.raises(ApiException) as sealed:
        tenders.close_bidding(tender.id)
    assert sealed.value.status == 409
    _moved(stack, "tenders.db", "UPDATE tenders SET bids_due_at = ? WHERE id = ?",
           _stored(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)), tender.id)  # fmt: skip
    tenders.close_bidding(tender.id)
    scores = [ScoreFields(bid_id=bid_id, quality=80) for bid_id in bids.values()]
    weights = Weights(price=70, quality=20, data_protection=10)
    evaluation = tenders.evaluate_tender(tender.id, EvaluateBody(weights=weights, scores=scores))
    ranked = sorted((row for row in evaluation.rows if row.lot_id == lots[laptop].id), key=lambda row: row.rank)
    assert [row.vendor_id for row in ranked] == ["kraichgau", "rheintal", "schwarzwald", "globalmeet"]

    # The award: the notebooks to the three best as a framework, the other lots to one vendor each.
    awards = [LotAward(lot_id=lots[laptop].id, bid_id=bids[laptop, "kraichgau"], vendors=3),
              LotAward(lot_id=lots[dock].id, bid_id=bids[dock, "rheintal"]),
              LotAward(lot_id=lots[webcam].id, bid_id=bids[webcam, "globalmeet"])]  # fmt: skip
    result = tenders.award_tender(tender.id, AwardBody(awards=awards, starts_on=today))
    contracts = {(c.item_id, c.vendor_id): c for c in result.contracts}
    assert {c.status for c in contracts.values()} == {"pending"}  # the standstill runs
    framework = contracts[laptop, "kraichgau"].framework
    assert framework is not None and (framework.max_quantity, framework.rank) == (250, 1)
    assert [contracts[laptop, v].framework.rank for v in ("rheintal", "schwarzwald")] == [2, 3]  # type: ignore[union-attr]
    with pytest.raises(ApiException) as waiting:
        ContractsApi(bruchsal).call_off(contracts[laptop, "kraichgau"].id, CallOffBody(city_id="bruchsal", quantity=1))
    assert waiting.value.status == 409  # no call-off before the contracts are concluded

    # The information notices: GlobalMeet is told who won the notebooks and why not itself.
    standstill = TendersApi(vendors["globalmeet"]).get_standstill(tender.id)
    [notice] = standstill.notices
    [lost] = notice.lots
    assert (lost.winner_name, lost.rank, lost.bidders) == ("Kraichgau Computer GmbH", 4, 4)
    assert standstill.days == 10 and standstill.earliest_conclusion_on is not None
    assert standstill.earliest_conclusion_on > today

    # A review application, recorded and dismissed; the standstill passes; the lead concludes the contracts.
    complaint = tenders.record_complaint(tender.id, ComplaintBody(received_on=today, chamber="VK Baden-Württemberg",
                                                                  reference="1 VK 7/27"))  # fmt: skip
    [to_lead] = wait_for_mails(stack.maildir, f"tenders/complaint/{complaint.id}/recorded", 1)
    assert to_lead.to == "ettlingen.lead@demo.civicpool.invalid"
    assert end_standstill(stack.data_dir, tender.id)
    with pytest.raises(ApiException) as blocked:
        tenders.activate_contracts(tender.id)
    assert blocked.value.status == 409 and "review application" in _refusal(blocked)[1]
    tenders.decide_complaint(tender.id, complaint.id, ComplaintOutcomeBody(outcome="dismissed", decided_on=today))
    concluded = tenders.activate_contracts(tender.id)
    assert {c.status for c in concluded.contracts} == {"active"}
    actions = [event.action for event in tenders.get_tender(tender.id).events]
    assert actions[-4:] == ["awarded", "complaint_recorded", "complaint_dismissed", "contracts_activated"]
    concluded_mails = [wait_for_mails(stack.maildir, f"tenders/concluded/{tender.id}/{v}", 1) for v in LAPTOP_PRICES]
    assert {mail.to for mails in concluded_mails for mail in mails} == VENDOR_ADDRESSES  # every vendor won a lot

    # A mini-competition for Bruchsal's 10 notebooks: the second-ranked vendor offers best and wins.
    assert framework is not None
    competitions = MiniCompetitionsApi(bruchsal)
    invited = competitions.start_mini_competition(framework.id, MiniCompetitionBody(
        quantities=[QuotaAddition(city_id="bruchsal", quantity=10)],
        offers_due_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=2), description="Lieferung ins Rathaus",
    ))  # fmt: skip
    for vendor, cents in (("kraichgau", 81_500), ("rheintal", 79_900), ("schwarzwald", 83_000)):
        MiniCompetitionsApi(vendors[vendor]).submit_offer(invited.id, OfferBody(unit_price_cents=cents))
    with pytest.raises(ApiException) as globalmeet_outside:
        MiniCompetitionsApi(vendors["globalmeet"]).submit_offer(invited.id, OfferBody(unit_price_cents=70_000))
    assert globalmeet_outside.value.status == 404  # not a vendor of the framework: as if missing
    _moved(stack, "contracts.db", "UPDATE mini_competitions SET offers_due_at = ? WHERE id = ?",
           _stored(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)), invited.id)  # fmt: skip
    decided = competitions.decide_mini_competition(invited.id, idempotency_key=str(uuid.uuid4()))
    assert (decided.winner_vendor_id, decided.unit_price_cents) == ("rheintal", 79_900)
    [call_off_id] = decided.call_off_ids
    posted = LedgerApi(bruchsal).list_transactions(contract_id=contracts[laptop, "rheintal"].id).data
    [mini] = [t for t in posted if t.id == call_off_id]
    assert {e.account: e.amount_cents for e in mini.entries}["city:bruchsal"] == -10 * 79_900

    # A cascade: Bühl calls off from the first-ranked vendor, which declines; the second delivers at its price.
    first_call = ContractsApi(buehl).call_off(contracts[laptop, "kraichgau"].id,
                                              CallOffBody(city_id="buehl", quantity=5))  # fmt: skip
    with pytest.raises(ApiException) as skipped:
        ContractsApi(buehl).call_off(contracts[laptop, "rheintal"].id, CallOffBody(city_id="buehl", quantity=5))
    assert skipped.value.status == 409  # rank 2 only when rank 1 passes it on
    passed = LedgerApi(buehl).pass_on_call_off(
        first_call.transaction.id,
        PassOnBody(cause=PassOnCause.DECLINED, reason="Modell nicht lieferbar"),
        idempotency_key=str(uuid.uuid4()),
    )
    assert passed.contract_id == contracts[laptop, "rheintal"].id
    assert [m.amount_cents for m in passed.movements] == [5 * 84_000]
    framework_now = ContractsApi(lead).get_contract(contracts[laptop, "schwarzwald"].id).framework
    assert framework_now is not None and framework_now.called_off == 15  # 10 by mini-competition, 5 by cascade

    # § 132 GWB on the docking stations (30 × 150 €): a price index change within 10 % (of the indexed value,
    # 30 × 154 €, § 132 (3) sentence 3), then a quantity increase beyond it, refused without a legal ground.
    docks = ContractsApi(lead)
    within = docks.change_contract(contracts[dock, "rheintal"].id, ContractChangeBody(
        kind=ChangeKind.PRICE_ADJUSTMENT, unit_price_cents=15_400, index_name="Erzeugerpreisindex 2021=100",
        justification="Preisgleitklausel § 6 des Rahmenvertrags",
    ), idempotency_key=str(uuid.uuid4()))  # fmt: skip
    assert (within.value_change_cents, within.de_minimis_limit_cents) == (30 * 400, 46_200)
    with pytest.raises(ApiException) as beyond:
        docks.change_contract(contracts[dock, "rheintal"].id, ContractChangeBody(
            kind=ChangeKind.QUANTITY_INCREASE, quota_additions=[QuotaAddition(city_id="buehl", quantity=20)],
            justification="Weitere Arbeitsplätze im Bauamt",
        ))  # fmt: skip
    assert beyond.value.status == 409 and "de-minimis" in _refusal(beyond)[1]
    history = docks.contract_history(contracts[dock, "rheintal"].id)
    assert [change.kind for change in history.changes] == [ChangeKind.PRICE_ADJUSTMENT]

    # An award made on the state's platform: Gaggenau's headsets, recorded from a closed round and called off.
    gaggenau = client("gaggenau.it")
    headsets = DemandApi(lead).create_round(RoundFields(title=f"Headsets extern {uuid.uuid4().hex[:6]}",
                                                        opens_at=now - dt.timedelta(minutes=1),
                                                        closes_at=now + dt.timedelta(days=1)))  # fmt: skip
    DemandApi(lead).open_round(headsets.id)
    headset = items["HEADSET-USB"]
    DemandApi(gaggenau).create_line(headsets.id, LineFields(item_id=headset, quantity=25, justification="Bürgerbüro"))
    DemandApi(lead).close_round(headsets.id)
    external = tenders.record_external_award(ExternalAwardBody(
        round_id=headsets.id, platform="Vergabemarktplatz Baden-Württemberg", notice_number="2027/S 004-000123",
        notice_date=today - dt.timedelta(days=30), procedure=Procedure.OPEN_NATIONAL,
        lots=[ExternalLot(title="Headsets", items=[ExternalItem(item_id=headset, max_quantity=40)],
                          vendors=[ExternalVendor(vendor_id="kraichgau",
                                                  prices=[ExternalPrice(item_id=headset, unit_price_cents=4_300)])])],
    ))  # fmt: skip
    assert external.tender.external is not None
    assert external.tender.external.platform == "Vergabemarktplatz Baden-Württemberg"
    [headset_contract] = external.contracts
    called = ContractsApi(gaggenau).call_off(headset_contract.id, CallOffBody(city_id="gaggenau", quantity=25))
    assert [m.amount_cents for m in called.movements] == [25 * 4_300]
