"""Notifications by e-mail, through the real SMTP server of the stack: each event is delivered to its audience,
in the recipient's language, once."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from zoneinfo import ZoneInfo

import grpc
import pytest
from civicpool.contracts.v1 import contracts_pb2 as contracts_pb
from civicpool.contracts.v1.contracts_pb2_grpc import ContractsServiceStub
from civicpool_cli import demo
from civicpool_cli.stack import Stack
from civicpool_common import service_identity
from civicpool_common.timestamps import network_today
from google.protobuf.timestamp_pb2 import Timestamp

from tests.conftest import PROBLEM, ApiFactory
from tests.integration.test_demand_api import add_line, item_ids, new_round
from tests.support.mail import Delivered, of_event, wait_for_mails
from tests.support.tokens import service_token

VENDOR_ADDRESSES = {f"{demo.vendor_user(v)}@demo.civicpool.invalid" for v in demo.VENDORS}
CITY_IT = {city.id: f"{city.id}.it@demo.civicpool.invalid" for city in demo.CITIES}
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True, scope="module")
def _every_kind_on(api: ApiFactory) -> None:
    """Every kind on for the users other modules may have switched off (schemathesis sends its own settings)."""
    for user in ("network.admin", "bruchsal.it", "ettlingen.lead", "rastatt.finance", "vendor.rheintal"):
        kinds = [s["kind"] for s in api(user).get("/me/notifications").json()["settings"]]
        answer = api(user).put("/me/notifications", json={"settings": [{"kind": k, "enabled": True} for k in kinds]})
        assert answer.status_code == 200, answer.text


def _german_time(iso: str) -> str:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(BERLIN).strftime("%d.%m.%Y %H:%M Uhr")


def _published_tender(api: ApiFactory, title: str) -> dict[str, object]:
    lead = api("ettlingen.lead")
    round_ = new_round(api)
    add_line(api, round_["id"], "bruchsal.it", "VPN-SEAT", 12)
    assert lead.post(f"/rounds/{round_['id']}/close").status_code == 200
    created = lead.post("/tenders", json={"round_id": round_["id"]})
    assert created.status_code == 201, created.text
    due = dt.datetime(2031, 3, 31, 12, 0, tzinfo=dt.UTC)
    changed = lead.patch(f"/tenders/{created.json()['id']}", json={"bids_due_at": due.isoformat(), "title": title},
                         headers={"If-Match": created.headers["ETag"]})  # fmt: skip
    assert changed.status_code == 200, changed.text
    published = lead.post(f"/tenders/{created.json()['id']}/publish")
    assert published.status_code == 200, published.text
    tender: dict[str, object] = published.json()
    return tender


def test_a_published_tender_is_mailed_to_every_vendor_in_german(api: ApiFactory, stack: Stack) -> None:
    tender = _published_tender(api, "VPN-Zugänge 2031")
    event = f"tenders/published/{tender['id']}"
    mails = wait_for_mails(stack.maildir, event, len(VENDOR_ADDRESSES))
    assert {m.to for m in mails} == VENDOR_ADDRESSES
    for mail in mails:
        assert mail.subject == "Neue Ausschreibung: VPN-Zugänge 2031"
        assert "die Ausschreibung „VPN-Zugänge 2031“ ist veröffentlicht." in mail.text
        assert "Angebote sind bis 31.03.2031 14:00 Uhr abzugeben." in mail.text
        assert f"{stack.gateway_url}/portal/tenders/{tender['id']}" in mail.text
        assert f'<a href="{stack.gateway_url}/portal/tenders/{tender["id"]}">' in mail.html
        assert mail.kind == "tender_published"
    assert len({m.message_id for m in mails}) == len(mails)
    # Nobody but the vendors: the cities' users do not get it.
    assert not [m for m in of_event(stack.maildir, event) if m.to not in VENDOR_ADDRESSES]


def _settings(api: ApiFactory, user: str) -> dict[str, bool]:
    answer = api(user).get("/me/notifications", headers={"Accept-Language": "de-DE"})
    assert answer.status_code == 200, answer.text
    return {s["kind"]: s["enabled"] for s in answer.json()["settings"]}


def test_a_vendor_who_switches_published_tenders_off_gets_none(api: ApiFactory, stack: Stack) -> None:
    user = "vendor.rheintal"
    german = api(user).get("/me/notifications", headers={"Accept-Language": "de-DE"}).json()["settings"]
    assert {"kind": "tender_published", "enabled": True, "label": "Eine Ausschreibung wird veröffentlicht"} in german
    assert set(_settings(api, user).values()) == {True}  # every kind is on until switched off

    refused = api(user).put("/me/notifications", json={"settings": [{"kind": "no_such_kind", "enabled": False}]})
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
    assert set(_settings(api, user).values()) == {True}  # nothing changed

    switched = api(user).put("/me/notifications", json={"settings": [{"kind": "tender_published", "enabled": False}]})
    assert switched.status_code == 200, switched.text
    assert _settings(api, user)["tender_published"] is False
    assert _settings(api, "vendor.schwarzwald")["tender_published"] is True  # one user's choice only
    try:
        tender = _published_tender(api, "Headsets 2031")
        event = f"tenders/published/{tender['id']}"
        mails = wait_for_mails(stack.maildir, event, len(VENDOR_ADDRESSES) - 1)
        time.sleep(3)  # a round of the queue more: nothing else comes
        assert {m.to for m in of_event(stack.maildir, event)} == VENDOR_ADDRESSES - {f"{user}@demo.civicpool.invalid"}
        assert len(mails) == len(VENDOR_ADDRESSES) - 1
    finally:
        api(user).put("/me/notifications", json={"settings": [{"kind": "tender_published", "enabled": True}]})


def test_with_the_smtp_server_away_mails_queue_and_go_out_once_when_it_is_back(api: ApiFactory, stack: Stack) -> None:
    stack.stop("smtp")
    try:
        tender = _published_tender(api, "Webcams 2031")
        event = f"tenders/published/{tender['id']}"
        time.sleep(8)  # the relay delivers the event, the queue resolves it, and sending fails (and is retried)
        assert of_event(stack.maildir, event) == []
        assert "not sent yet" in stack.log_tail("notifications", 200)
    finally:
        stack.start("smtp")
        stack.wait_for("smtp", stack.smtp_ready, timeout=30)
    mails = wait_for_mails(stack.maildir, event, len(VENDOR_ADDRESSES), timeout=90)
    time.sleep(5)  # more rounds of the queue: nothing goes out twice
    again = of_event(stack.maildir, event)
    assert sorted(m.to for m in again) == sorted(VENDOR_ADDRESSES)  # each recipient exactly once
    assert len({m.message_id for m in again}) == len(again) == len(mails)
    assert all(m.subject == "Neue Ausschreibung: Webcams 2031" for m in again)


def test_each_bidding_vendor_is_told_its_own_award_outcome(api: ApiFactory, stack: Stack) -> None:
    lead = api("ettlingen.lead")
    round_ = new_round(api)
    add_line(api, round_["id"], "bruchsal.it", "VPN-SEAT", 12)
    assert lead.post(f"/rounds/{round_['id']}/close").status_code == 200
    created = lead.post("/tenders", json={"round_id": round_["id"]})
    assert created.status_code == 201, created.text
    due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=4)
    changed = lead.patch(f"/tenders/{created.json()['id']}", json={"bids_due_at": due.isoformat(), "title": "VPN 2032"},
                         headers={"If-Match": created.headers["ETag"]})  # fmt: skip
    assert changed.status_code == 200, changed.text
    tender = lead.post(f"/tenders/{created.json()['id']}/publish").json()
    lot, prices = tender["lots"][0], {"vendor.rheintal": 2_500, "vendor.schwarzwald": 3_900}
    for vendor, cents in prices.items():
        bid = {"lot_id": lot["id"], "prices": [{"item_id": lot["items"][0]["item_id"], "unit_price_cents": cents}],
               "delivery_days": 7, "hosting_region": "DE", "dpa_offered": True, "open_source": False}  # fmt: skip
        assert api(vendor).post(f"/tenders/{tender['id']}/bids", json=bid).status_code == 201
    time.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds()) + 0.3)
    assert lead.post(f"/tenders/{tender['id']}/close-bidding").status_code == 200
    bids = lead.get(f"/tenders/{tender['id']}/bids").json()["data"]
    weights = {"price": 60, "quality": 25, "data_protection": 15}
    scores = [{"bid_id": b["id"], "quality": 70} for b in bids]
    evaluated = lead.post(f"/tenders/{tender['id']}/evaluate", json={"weights": weights, "scores": scores})
    assert evaluated.status_code == 200, evaluated.text
    best = next(r for r in evaluated.json()["rows"] if r["lot_id"] == lot["id"])  # ranked: the best first
    rheintal = next(b["id"] for b in bids if b["vendor_id"] == "rheintal")
    assert best["bid_id"] == rheintal  # the lower price wins at equal quality
    awarded = lead.post(f"/tenders/{tender['id']}/award", json={"awards": [{"lot_id": lot["id"], "bid_id": rheintal}]})
    assert awarded.status_code == 200, awarded.text
    won = wait_for_mails(stack.maildir, f"tenders/awarded/{tender['id']}/rheintal", 1)
    lost = wait_for_mails(stack.maildir, f"tenders/awarded/{tender['id']}/schwarzwald", 1)
    assert [m.to for m in won] == ["vendor.rheintal@demo.civicpool.invalid"]
    assert [m.to for m in lost] == ["vendor.schwarzwald@demo.civicpool.invalid"]
    assert won[0].subject == lost[0].subject == "Zuschlag entschieden: VPN 2032"
    assert "Ihr Angebot hat gewonnen" in won[0].text
    assert "Ihr Angebot hat diesmal nicht gewonnen" in lost[0].text
    assert not of_event(stack.maildir, f"tenders/awarded/{tender['id']}/globalmeet")  # it did not bid


# -- the demand service's events: a round opens, a round closes in 3 days ------------------------------------------


def test_a_round_opening_tells_the_it_of_every_member_city_in_german(api: ApiFactory, stack: Stack) -> None:
    round_ = new_round(api, title="Notebooks 2031", seconds_open=20 * 86_400)
    event = f"demand/round-opened/{round_['id']}"
    mails = wait_for_mails(stack.maildir, event, len(CITY_IT), timeout=120)
    assert sorted(m.to for m in mails) == sorted(CITY_IT.values())  # each city's IT once, nobody else
    closes = _german_time(round_["closes_at"])
    for mail in mails:
        assert (mail.kind, mail.subject) == ("round_opened", "Bedarfsrunde geöffnet: Notebooks 2031")
        assert f"die Bedarfsrunde „Notebooks 2031“ ist geöffnet. Bitte erfassen Sie den Bedarf Ihrer Stadt bis " \
               f"{closes}." in mail.text  # fmt: skip
        assert f"{stack.gateway_url}/portal/rounds/{round_['id']}" in mail.text
    assert len({m.message_id for m in mails}) == len(mails)


def _reminders(stack: Stack, round_id: str) -> dict[str, list[Delivered]]:
    return {city: of_event(stack.maildir, f"demand/round-closing/{round_id}/{city}") for city in CITY_IT}


def test_three_days_before_closing_the_cities_without_lines_are_reminded_once(api: ApiFactory, stack: Stack) -> None:
    """The round closes a little more than 3 days after it opens: Bruchsal enters a line before the sweep sees
    the round within 3 days. Bühl's IT switched the reminder off; every other city without lines gets it, once."""
    switch_off = {"settings": [{"kind": "round_closing", "enabled": False}]}
    assert api("buehl.it").put("/me/notifications", json=switch_off).status_code == 200
    try:
        round_ = new_round(api, title="Headsets 2031", seconds_open=3 * 86_400 + 12)
        add_line(api, round_["id"], "bruchsal.it", "VPN-SEAT", 5)
        reminded = {city for city in CITY_IT if city not in ("bruchsal", "buehl")}
        for city in reminded:
            wait_for_mails(stack.maildir, f"demand/round-closing/{round_['id']}/{city}", 1, timeout=120)
        time.sleep(5)  # two more sweeps (every 2 s in the tests' stack) and queue rounds: nothing more comes
        mails = _reminders(stack, round_["id"])
        assert mails["bruchsal"] == []  # it has a line
        assert mails["buehl"] == []  # switched off
        assert {city: [m.to for m in found] for city, found in mails.items() if found} == {
            city: [CITY_IT[city]] for city in reminded
        }
        closes = _german_time(round_["closes_at"])
        for found in mails.values():
            for mail in found:
                assert (mail.kind, mail.subject) == ("round_closing", "Noch 3 Tage: Bedarfsrunde Headsets 2031")
                assert f"die Bedarfsrunde „Headsets 2031“ endet am {closes}, und Ihre Stadt hat noch keinen Bedarf " \
                       "erfasst." in mail.text  # fmt: skip
    finally:
        switch_on = {"settings": [{"kind": "round_closing", "enabled": True}]}
        assert api("buehl.it").put("/me/notifications", json=switch_on).status_code == 200


# -- the contracts service's event: the renewal notice date is 90 / 30 days away ------------------------------------


def _contract_with_notice_in(api: ApiFactory, stack: Stack, days: int) -> contracts_pb.Contract:
    """A contract of Ettlingen's (parties Bruchsal and Bühl) whose notice date is `days` Berlin days away, made as
    the tenders service's award relay makes them."""
    today = network_today()
    awarded = contracts_pb.AwardedItem(
        contract_id=str(uuid.uuid4()), lot_id=str(uuid.uuid4()), bid_id=str(uuid.uuid4()), vendor_id="rheintal",
        item_id=item_ids(api)["VPN-SEAT"], sku="VPN-SEAT", name=f"VPN-Zugang {days}", unit="Nutzer", kind="license",
        unit_price_cents=500, ceiling_quantity=20,
        quotas=[contracts_pb.CityShare(city_id="bruchsal", quantity=10),
                contracts_pb.CityShare(city_id="buehl", quantity=10)],
    )  # fmt: skip
    order = contracts_pb.CreateAwardContractsRequest(
        tender_id=str(uuid.uuid4()), lead_city_id="ettlingen", awarded_by="ettlingen.lead",
        awarded_at=Timestamp(seconds=int(time.time())), starts_on=(today - dt.timedelta(days=30)).isoformat(),
        ends_on=(today + dt.timedelta(days=400)).isoformat(),
        renewal_notice_on=(today + dt.timedelta(days=days)).isoformat(), items=[awarded],
    )  # fmt: skip
    as_tenders = ((service_identity.SERVICE_TOKEN_METADATA, f"Bearer {service_token(stack, 'tenders')}"),)
    with grpc.insecure_channel(stack.address("contracts")) as channel:
        reply = ContractsServiceStub(channel).CreateAwardContracts(order, timeout=10, metadata=as_tenders)
    [contract] = reply.contracts
    return contract


def test_the_renewal_notice_reaches_the_parties_finance_and_the_lead_at_90_and_30_days_once(
    api: ApiFactory, stack: Stack
) -> None:
    recipients = sorted(f"{user}@demo.civicpool.invalid" for user in ("bruchsal.finance", "buehl.finance",
                                                                       "ettlingen.lead"))  # fmt: skip
    contracts = {days: _contract_with_notice_in(api, stack, days) for days in (90, 30)}
    events = {days: f"contracts/renewal-{days}/{contract.id}" for days, contract in contracts.items()}
    for event in events.values():
        wait_for_mails(stack.maildir, event, len(recipients), timeout=120)
    time.sleep(5)  # the sweep runs twice more (every 2 s in the tests' stack): nothing is added or sent twice
    for days, contract in contracts.items():
        mails = of_event(stack.maildir, events[days])
        assert sorted(m.to for m in mails) == recipients  # each exactly once
        notice_date = (network_today() + dt.timedelta(days=days)).strftime("%d.%m.%Y")
        title = f"{contract.reference} VPN-Zugang {days}"
        for mail in mails:
            assert (mail.kind, mail.subject) == ("renewal_notice", f"Kündigungsfrist in {days} Tagen: {title}")
            assert f"der Vertrag „{title}“ muss bis {notice_date} verlängert oder gekündigt werden (in {days} " \
                   "Tagen)." in mail.text  # fmt: skip
            assert f"{stack.gateway_url}/portal/contracts/{contract.id}" in mail.text
    # The contract 90 days away is not told of 30 days yet, nor the one 30 days away of 90 (too late for it).
    assert of_event(stack.maildir, f"contracts/renewal-30/{contracts[90].id}") == []
    assert of_event(stack.maildir, f"contracts/renewal-90/{contracts[30].id}") == []
