"""Bidder questions through the gateway with real Keycloak users, and the e-mails they cause."""

from __future__ import annotations

import datetime as dt
from typing import Any

from civicpool_cli.stack import Stack

from tests.conftest import PROBLEM, ApiFactory
from tests.integration.test_notifications import VENDOR_ADDRESSES
from tests.support.mail import wait_for_mails
from tests.support.tenders import draft_tender, set_bids_due

GERMAN = {"Accept-Language": "de-DE"}


def _published(api: ApiFactory, days: float) -> dict[str, Any]:
    tender = draft_tender(api)
    set_bids_due(api, tender["id"], dt.datetime.now(dt.UTC) + dt.timedelta(days=days))
    published = api("ettlingen.lead").post(f"/tenders/{tender['id']}/publish")
    assert published.status_code == 200, published.text
    return dict(published.json())


def test_questions_answers_and_clarifications(api: ApiFactory, stack: Stack) -> None:
    lead = api("ettlingen.lead")
    tender = _published(api, days=10)
    questions = f"/tenders/{tender['id']}/questions"
    first = api("vendor.rheintal").post(questions, json={"question": "Ist eine Teillieferung zulässig?"})
    assert first.status_code == 201, first.text
    second = api("vendor.schwarzwald").post(questions, json={"question": "Gilt die Frist je Los?"})
    assert second.status_code == 201, second.text
    assert api("bruchsal.it").post(questions, json={"question": "Darf ich?"}).status_code == 403

    answered = lead.post(f"{questions}/{second.json()['id']}/answer", json={"answer": "Ja, je Los."},
                         headers={"If-Match": '"1"'})  # fmt: skip
    assert answered.status_code == 200, answered.text
    again = lead.post(f"{questions}/{second.json()['id']}/answer", json={"answer": "Nochmals"}, headers=GERMAN)
    assert again.status_code == 409 and "bereits beantwortet" in again.json()["detail"]
    clarified = lead.post(f"/tenders/{tender['id']}/clarifications", json={"text": "Abschnitt 3 gilt für alle Lose."})
    assert clarified.status_code == 201, clarified.text

    seen_by_lead = lead.get(questions).json()["data"]
    assert [(q["question"], q["vendor_id"], q["answer"]) for q in seen_by_lead] == [
        ("Ist eine Teillieferung zulässig?", "rheintal", None),  # unanswered first
        ("Gilt die Frist je Los?", "schwarzwald", "Ja, je Los."),
        ("", None, "Abschnitt 3 gilt für alle Lose."),
    ]
    seen_by_rheintal = api("vendor.rheintal").get(questions).json()["data"]
    assert [(q["asked_by_you"], q["vendor_id"], q["asked_by"]) for q in seen_by_rheintal] == [
        (True, None, None), (False, None, None), (False, None, None)
    ]  # fmt: skip
    seen_by_others = api("vendor.globalmeet").get(questions).json()["data"]
    assert [q["answer"] for q in seen_by_others] == ["Ja, je Los.", "Abschnitt 3 gilt für alle Lose."]
    assert "schwarzwald" not in api("vendor.globalmeet").get(questions).text
    assert "schwarzwald" not in api("bruchsal.it").get(questions).text  # a participating city: no asker either
    assert "schwarzwald" not in lead.get(f"/tenders/{tender['id']}").text  # nor in the event log

    for item in (second.json(), clarified.json()):
        mails = wait_for_mails(stack.maildir, f"tenders/answer/{item['id']}", len(VENDOR_ADDRESSES))
        assert {m.to for m in mails} == VENDOR_ADDRESSES
    asked = wait_for_mails(stack.maildir, f"tenders/question/{first.json()['id']}", 1)
    assert [m.to for m in asked] == ["ettlingen.lead@demo.civicpool.invalid"]
    assert asked[0].subject == f"Neue Bieterfrage: {tender['reference']} {tender['title']}"


def test_late_questions_and_late_answers_are_refused_with_the_reason(api: ApiFactory) -> None:
    tender = _published(api, days=3)
    late = api("vendor.rheintal").post(f"/tenders/{tender['id']}/questions", json={"question": "Zu spät?"},
                                       headers=GERMAN)  # fmt: skip
    assert late.status_code == 409 and late.headers["content-type"] == PROBLEM
    assert "Fragen wurden bis" in late.json()["detail"] and "angenommen" in late.json()["detail"]
    unprompted = api("ettlingen.lead").post(f"/tenders/{tender['id']}/clarifications", json={"text": "Hinweis"},
                                            headers=GERMAN)  # fmt: skip
    assert unprompted.status_code == 409 and "§ 20 Abs. 3 VgV" in unprompted.json()["detail"]
    assert api("ettlingen.lead").get(f"/tenders/{tender['id']}/questions").json()["data"] == []


def test_the_lead_moves_the_time_for_questions_and_everyone_reads_it(api: ApiFactory) -> None:
    """The tender carries `questions_due_at`: its own time, or 6 Berlin days before the deadline; PATCH null
    returns to the default."""
    tender = _published(api, days=3)  # questions closed by default: fewer than 6 days remain
    lead = api("ettlingen.lead")
    due = dt.datetime.fromisoformat(tender["bids_due_at"])
    assert dt.datetime.fromisoformat(tender["questions_due_at"]) < dt.datetime.now(dt.UTC)
    own = due - dt.timedelta(days=1)
    moved = lead.patch(f"/tenders/{tender['id']}", json={"questions_due_at": own.isoformat(),
                                                         "version": tender["version"]})  # fmt: skip
    assert moved.status_code == 200, moved.text
    seen = api("vendor.rheintal").get(f"/tenders/{tender['id']}").json()
    assert dt.datetime.fromisoformat(seen["questions_due_at"]) == own
    asked = api("vendor.rheintal").post(f"/tenders/{tender['id']}/questions", json={"question": "Jetzt?"})
    assert asked.status_code == 201, asked.text
    back = lead.patch(f"/tenders/{tender['id']}", json={"questions_due_at": None, "version": moved.json()["version"]},
                      headers=GERMAN)  # fmt: skip
    assert back.status_code == 422 and back.headers["content-type"] == PROBLEM  # the default would close earlier
    assert "nur verlängern" in back.text
    assert dt.datetime.fromisoformat(lead.get(f"/tenders/{tender['id']}").json()["questions_due_at"]) == own
