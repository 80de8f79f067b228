"""Every kind of mail renders in German and English: subject, plain text and HTML, dates in the reader's way."""

from __future__ import annotations

import pytest
from civicpool_common.errors import InvalidArgument
from civicpool_common.messages import LANGUAGES
from civicpool_notifications import rules
from civicpool_notifications.service import message_id

VALUES = {
    "round_title": "Notebooks 2027",
    "closes_at": "2027-03-31T12:00:00+00:00",
    "tender_title": "Headsets <für> alle",
    "bids_due_at": "2027-04-15T08:30:00+00:00",
    "contract_title": "ETT-2026-003 VPN",
    "notice_date": "2027-06-30",
    "days": "90",
    "path": "tenders/t1",
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("kind", "variant"), sorted(rules.TEMPLATES))
def test_every_kind_renders_in_every_language(kind: str, variant: str, language: str) -> None:
    values = VALUES | ({"variant": variant} if variant else {})
    rules.check_event(f"test/{kind}/1", kind, values)
    mail = rules.render(kind, values, language, "Anna Muster", "https://civicpool.example/portal/")
    assert mail.subject and "{" not in mail.subject and "\n" not in mail.subject
    assert "{" not in mail.text and "Anna Muster" in mail.text
    assert "https://civicpool.example/portal/notification-settings" in mail.text
    assert '<a href="https://civicpool.example/portal/notification-settings">' in mail.html
    assert f'<html lang="{language}">' in mail.html
    assert "<für>" not in mail.html  # values are escaped in HTML


def test_german_and_english_differ_and_dates_follow_the_reader() -> None:
    de = rules.render("round_opened", VALUES, "de", "Anna", "https://x/portal")
    en = rules.render("round_opened", VALUES, "en", "Anna", "https://x/portal")
    assert de.subject == "Bedarfsrunde geöffnet: Notebooks 2027"
    assert "bis 31.03.2027 14:00 Uhr" in de.text and "Guten Tag Anna," in de.text
    assert "by 2027-03-31 14:00 (Berlin)" in en.text and en.text.startswith("Hello Anna,")
    renewal = rules.render("renewal_notice", VALUES, "de", "Anna", "https://x/portal")
    assert "bis 30.06.2027 verlängert oder gekündigt" in renewal.text
    assert "https://x/portal/tenders/t1" in rules.render("tender_published", VALUES, "de", "A", "https://x/portal").text


@pytest.mark.parametrize(
    ("locale", "language"), [("", "de"), ("de", "de"), ("en", "en"), ("en-GB", "en"), ("fr", "de"), ("EN_us", "en")]
)
def test_the_language_is_the_users_locale_german_by_default(locale: str, language: str) -> None:
    assert rules.language_of(locale) == language


@pytest.mark.parametrize(
    ("key", "kind", "values", "field"),
    [
        ("", "tender_published", {}, "event_key"),
        ("a b", "tender_published", {}, "event_key"),
        ("k/1", "no_such_kind", {}, "kind"),
        ("k/1", "award_decided", {"variant": "maybe"}, "values"),
        ("k/1", "award_decided", {}, "values"),
        ("k/1", "tender_published", {"tender_title": "x" * 2001}, "values"),
    ],
)
def test_events_the_service_cannot_send_are_refused(key: str, kind: str, values: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        rules.check_event(key, kind, values)
    assert [v.field for v in refused.value.violations] == [field]


def test_the_message_id_is_stable_per_event_and_recipient() -> None:
    assert message_id("e/1", "u1") == message_id("e/1", "u1")
    assert len({message_id("e/1", "u1"), message_id("e/1", "u2"), message_id("e/2", "u1")}) == 3
