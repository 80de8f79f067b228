"""Notifications by e-mail, through the real SMTP server of the stack: each event is delivered to its audience,
in the recipient's language, once."""

from __future__ import annotations

import datetime as dt
import time

from civicpool_cli import demo
from civicpool_cli.stack import Stack

from tests.conftest import PROBLEM, ApiFactory
from tests.integration.test_demand_api import add_line, new_round
from tests.support.mail import of_event, wait_for_mails

VENDOR_ADDRESSES = {f"{demo.vendor_user(v)}@demo.civicpool.invalid" for v in demo.VENDORS}


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
    answer = api(user).get("/me/notification-settings", headers={"Accept-Language": "de-DE"})
    assert answer.status_code == 200, answer.text
    return {s["kind"]: s["enabled"] for s in answer.json()["settings"]}


def test_a_vendor_who_switches_published_tenders_off_gets_none(api: ApiFactory, stack: Stack) -> None:
    user = "vendor.rheintal"
    german = api(user).get("/me/notification-settings", headers={"Accept-Language": "de-DE"}).json()["settings"]
    assert {"kind": "tender_published", "enabled": True, "label": "Eine Ausschreibung wird veröffentlicht"} in german
    assert set(_settings(api, user).values()) == {True}  # every kind is on until switched off

    refused = api(user).put(
        "/me/notification-settings", json={"settings": [{"kind": "no_such_kind", "enabled": False}]}
    )
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
    assert set(_settings(api, user).values()) == {True}  # nothing changed

    switched = api(user).put(
        "/me/notification-settings", json={"settings": [{"kind": "tender_published", "enabled": False}]}
    )
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
        api(user).put("/me/notification-settings", json={"settings": [{"kind": "tender_published", "enabled": True}]})


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
