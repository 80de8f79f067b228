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
