"""The standstill after an award, review applications and concluding the contracts, through the gateway with real
Keycloak users (the standstill is ended early by the demo's clock: nobody waits 10 days)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from civicpool_cli import demo
from civicpool_cli.demo_clock import end_standstill
from civicpool_cli.stack import Stack

from tests.conftest import PROBLEM, ApiFactory
from tests.support.mail import wait_for_mails
from tests.support.tenders import awarded

GERMAN = {"Accept-Language": "de-DE"}
BERLIN = ZoneInfo("Europe/Berlin")
LEAD_ADDRESS = "ettlingen.lead@demo.civicpool.invalid"


def test_a_standstill_a_dismissed_complaint_and_the_contracts_concluded(api: ApiFactory, stack: Stack) -> None:
    result = awarded(api, standstill=True)
    tender, [contract] = result["tender"], result["contracts"]
    lead, path = api("ettlingen.lead"), f"/tenders/{tender['id']}"
    assert contract["status"] == "pending" and tender["standstill_ends_on"]
    early = api("bruchsal.it").post(f"/contracts/{contract['id']}/allocations", json={"city_id": "bruchsal",
                                                                                      "quantity": 1})  # fmt: skip
    assert early.status_code == 409 and early.headers["content-type"] == PROBLEM  # no call-off in the standstill

    seen = api("vendor.schwarzwald").get(f"{path}/standstill").json()
    [notice] = seen["notices"]  # Schwarzwald's own: it lost to Rheintal
    assert notice["vendor_id"] == "schwarzwald" and notice["lots"][0]["winner_name"].startswith("Rheintal")
    assert notice["earliest_conclusion_on"] == seen["earliest_conclusion_on"] and seen["days"] == 10
    assert api("vendor.rheintal").get(f"{path}/standstill").json()["notices"] == []
    assert api("bruchsal.it").get(f"{path}/complaints").status_code == 404

    not_yet = lead.post(f"{path}/activation", headers=GERMAN)
    assert not_yet.status_code == 409 and "die Wartefrist läuft bis" in not_yet.json()["detail"]
    today = dt.datetime.now(BERLIN).date().isoformat()
    complaint = lead.post(f"{path}/complaints", json={"received_on": today,
                                                      "chamber": "Vergabekammer Baden-Württemberg"})  # fmt: skip
    assert complaint.status_code == 201, complaint.text
    [told] = wait_for_mails(stack.maildir, f"tenders/complaint/{complaint.json()['id']}/recorded", 1)
    assert told.to == LEAD_ADDRESS and told.subject == f"Nachprüfungsantrag: {tender['reference']} {tender['title']}"
    assert end_standstill(stack.data_dir, tender["id"])
    blocked = lead.post(f"{path}/activation")
    assert blocked.status_code == 409 and "review application" in blocked.json()["detail"]
    outcome = {"outcome": "dismissed", "decided_on": today}
    stale = lead.post(f"{path}/complaints/{complaint.json()['id']}/outcome", json=outcome,
                      headers={"If-Match": '"9"'})  # fmt: skip
    assert stale.status_code == 412
    dismissed = lead.post(f"{path}/complaints/{complaint.json()['id']}/outcome", json=outcome,
                          headers={"If-Match": complaint.headers["ETag"]})  # fmt: skip
    assert dismissed.status_code == 200 and dismissed.json()["outcome"] == "dismissed"
    [reminded] = wait_for_mails(stack.maildir, f"tenders/standstill-ended/{tender['id']}", 1)  # the sweep's
    assert reminded.to == LEAD_ADDRESS and reminded.subject.startswith("Wartefrist abgelaufen")
    concluded = lead.post(f"{path}/activation")
    assert concluded.status_code == 200, concluded.text
    assert [c["status"] for c in concluded.json()["contracts"]] == ["active"]
    assert concluded.json()["tender"]["contracts_activated_at"]
    [winner] = wait_for_mails(stack.maildir, f"tenders/concluded/{tender['id']}/rheintal", 1)
    assert winner.to == "vendor.rheintal@demo.civicpool.invalid" and winner.subject.startswith("Vertrag geschlossen")
    call_off = api("bruchsal.it").post(f"/contracts/{contract['id']}/allocations",
                                       json={"city_id": "bruchsal", "quantity": 1})  # fmt: skip
    assert call_off.status_code == 201, call_off.text
    actions = [e["action"] for e in lead.get(path).json()["events"]]
    assert actions[-4:] == ["awarded", "complaint_recorded", "complaint_dismissed", "contracts_activated"]


def test_an_upheld_complaint_revokes_the_award(api: ApiFactory) -> None:
    result = awarded(api, standstill=True)
    tender, [contract] = result["tender"], result["contracts"]
    lead, path = api("ettlingen.lead"), f"/tenders/{tender['id']}"
    today = dt.datetime.now(BERLIN).date().isoformat()
    filed = {"received_on": today, "chamber": "VK BW", "reference": "1 VK 3/27"}
    complaint = lead.post(f"{path}/complaints", json=filed)
    upheld = lead.post(f"{path}/complaints/{complaint.json()['id']}/outcome",
                       json={"outcome": "upheld", "decided_on": today, "note": "neu werten"})  # fmt: skip
    assert upheld.status_code == 200, upheld.text
    assert lead.get(path).json()["status"] == "evaluated"
    assert lead.get(f"/contracts/{contract['id']}").json()["status"] == "revoked"
    assert lead.get(f"{path}/standstill").json()["applies"] is False


def test_the_demos_standstill_has_ended_and_the_notice_stays_readable(api: ApiFactory) -> None:
    """The demo's webcam award: its standstill ended early by the demo's clock, the contract concluded; the bidder
    not chosen still reads the notice it was sent."""
    awarded_tenders = api("ettlingen.lead").get("/tenders", params={"status": "awarded", "limit": 100}).json()["data"]
    [webcams] = [t for t in awarded_tenders if t["title"] == demo.DEMO_STANDSTILL_ROUND["title"]]
    assert (
        webcams["contracts_activated_at"] and webcams["standstill_ends_on"] < dt.datetime.now(BERLIN).date().isoformat()
    )
    seen = api("vendor.rheintal").get(f"/tenders/{webcams['id']}/standstill").json()
    assert seen["applies"] is False and seen["last_day"] is None
    [notice] = seen["notices"]
    assert notice["vendor_id"] == "rheintal" and notice["lots"][0]["winner_name"] == "Kraichgau Computer GmbH"
    assert api("vendor.kraichgau").get(f"/tenders/{webcams['id']}/standstill").json()["notices"] == []
