"""The portal's parts: every text has its German, money reads 1.234,56 €, forms parse what people type, sessions end."""

from __future__ import annotations

import datetime as dt
import re
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from civicpool_common.auth import TokenVerifier
from civicpool_common.settings import OidcSettings
from civicpool_portal import i18n, sessions
from civicpool_portal.charts import bar_chart
from civicpool_portal.forms import parse_euros, whole
from civicpool_portal.oidc import KeycloakUnreachable, LoginFailed, OidcClient
from civicpool_portal.page_request import download, safe_next
from civicpool_portal.sessions import PENDING_LOGIN_SECONDS, PendingLogin, SessionStore, Tokens

ISSUER = "http://127.0.0.1:1/realms/civicpool"


@pytest.mark.parametrize(
    ("language", "cents", "shown"),
    [("de", 123456, "1.234,56\xa0€"), ("de", -5, "-0,05\xa0€"), ("de", 0, "0,00\xa0€"), ("en", 123456, "€1,234.56")],
)
def test_money_in_the_users_locale(language: str, cents: int, shown: str) -> None:
    assert i18n.Locale(language).money(cents) == shown


def test_times_are_shown_in_the_network_time_zone() -> None:
    winter, summer = "2026-01-15T09:30:00+00:00", "2026-07-15T09:30:00+00:00"
    assert i18n.Locale("de").datetime(winter) == "15.01.2026 10:30"
    assert i18n.Locale("de").datetime(summer) == "15.07.2026 11:30"
    assert i18n.from_local_input("2026-07-15T11:30") == dt.datetime(2026, 7, 15, 9, 30, tzinfo=dt.UTC)
    assert i18n.Locale("de").time_input(summer) == "15.07.2026 11:30"
    assert i18n.Locale("en").time_input("2026-07-15T09:30:05+00:00") == "2026-07-15 11:30:05"  # seconds kept
    assert i18n.Locale("en").datetime(winter) == "2026-01-15 10:30"
    assert i18n.from_local_input("15.07.2026 11:30") == dt.datetime(2026, 7, 15, 9, 30, tzinfo=dt.UTC)
    assert i18n.from_local_input("15.1.2026 10:30:15 Uhr") == dt.datetime(2026, 1, 15, 9, 30, 15, tzinfo=dt.UTC)
    for unreadable in ("15.07.26 11:30", "31.02.2026 10:00", "2026-07-15", "morgen 10 Uhr", "15.07.2026 25:00"):
        with pytest.raises(ValueError, match="no date and time"):
            i18n.from_local_input(unreadable)


def test_dates_are_typed_and_shown_as_tt_mm_jjjj_in_german_and_iso_in_english() -> None:
    assert i18n.Locale("de").date("2027-03-31") == "31.03.2027" == i18n.Locale("de").date_input("2027-03-31")
    assert i18n.Locale("en").date(dt.date(2027, 3, 31)) == "2027-03-31"
    assert i18n.Locale("de").date_input(None) == "" and i18n.Locale("de").date_placeholder == "TT.MM.JJJJ"
    assert i18n.parse_day(" 31.03.2027 ") == i18n.parse_day("2027-03-31") == dt.date(2027, 3, 31)
    assert i18n.parse_day("1.3.2027") == dt.date(2027, 3, 1)
    for unreadable in ("31.02.2027", "31.03.27", "2027-3-31", "31/03/2027", "", "morgen"):
        with pytest.raises(ValueError, match="no date"):
            i18n.parse_day(unreadable)
    refusal = i18n.Locale("de").gettext(i18n.DATE_REFUSED, field="Benötigt bis", value="31.02.2027")
    assert refusal == "Benötigt bis: „31.02.2027“ ist kein Datum; bitte als TT.MM.JJJJ eingeben, z. B. 31.03.2027."


def test_enumerations_have_both_languages_and_unknown_values_show_as_they_are() -> None:
    assert i18n.Locale("de").label("region", "third_country") == "Drittland"
    assert i18n.Locale("en").label("tender", "bidding_closed") == "bids opened"
    assert i18n.Locale("de").label("round", "new-status") == "new-status"


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("1.234,56", 123456), ("1234,5", 123450), ("1234.56", 123456), ("1234", 123400), ("12,50 €", 1250),
     ("1.234", 123400), ("0,99", 99), ("1 234,56", 123456)],
)  # fmt: skip
def test_euro_amounts_as_people_type_them(typed: str, cents: int) -> None:
    assert parse_euros(typed) == cents


@pytest.mark.parametrize("typed", ["", "abc", "12,345", "1.234.56", "-5", "1e3", "12,5,0"])
def test_unreadable_euro_amounts_are_refused(typed: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(typed)}$"):
        parse_euros(typed)


def test_whole_numbers_pass_and_anything_else_goes_to_the_api_to_be_refused() -> None:
    assert whole(" 45 ") == 45
    assert whole("4.5") == "4.5"
    assert whole("") == ""


@pytest.mark.parametrize(
    ("asked", "sent_to"),
    [("/portal/rounds?x=1", "/portal/rounds?x=1"), ("https://evil.example/", "/portal/"),
     ("//evil.example", "/portal/"), ("/portal\\..\\x", "/portal/"), ("/api/v1/items", "/portal/"),
     (None, "/portal/")],
)  # fmt: skip
def test_after_sign_in_only_portal_pages(asked: str | None, sent_to: str) -> None:
    assert safe_next(asked) == sent_to


def test_bar_widths_scale_to_the_largest_value() -> None:
    chart = bar_chart([("a", [(50, "50")]), ("b", [(100, "100"), (0, "0")])], ["x", "y"])
    widths = [bar.width for group in chart.groups for bar in group.bars]
    assert widths == [180, 360, 0]
    assert [group.label for group in chart.groups] == ["a", "b"]
    assert bar_chart([]).groups == []


def test_amount_fields_are_filled_so_that_they_read_back() -> None:
    for language in ("de", "en"):
        locale = i18n.Locale(language)
        for cents in (0, 5, 123456, 100000000):
            assert parse_euros(locale.money_input(cents)) == cents
    assert parse_euros("1,234.56") == 123456


def test_a_pending_login_opens_only_with_its_key_untouched_and_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    key = b"k" * 32
    pending = PendingLogin.start("/portal/rounds")
    sealed = pending.seal(key)
    assert PendingLogin.unseal(sealed, key) == pending
    assert PendingLogin.unseal(sealed, b"x" * 32) is None
    body, _, signature = sealed.partition(".")
    assert PendingLogin.unseal(f"{body[:-2]}AA.{signature}", key) is None
    assert PendingLogin.unseal("", key) is None
    later = time.time() + PENDING_LOGIN_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert PendingLogin.unseal(sealed, key) is None


def test_a_download_name_cannot_break_its_header() -> None:
    response = httpx.Response(200, content=b"a;b\r\n", headers={"content-type": "text/csv"})
    answer = download(response, 'statement-x"\r\nSet-Cookie: a=b.csv')
    assert answer.headers["content-disposition"] == 'attachment; filename="statement-x___Set-Cookie__a_b.csv"'
    assert answer.headers["cache-control"] == "no-store"


def test_a_session_ends_when_unused_for_its_idle_time_and_the_oldest_go_first(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    store = SessionStore(idle_seconds=60)
    tokens = Tokens("access", "refresh", "id", access_expires_at=now[0] + 300)
    session = store.create(tokens)
    now[0] += 59
    assert store.get(session.id) is session  # used: its idle time starts again
    now[0] += 59
    assert store.get(session.id) is session
    now[0] += 61
    assert store.get(session.id) is None
    assert store.get(session.id) is None  # gone, not only hidden
    monkeypatch.setattr(sessions, "MAX_SESSIONS", 2)
    first, second, third = (store.create(tokens) for _ in range(3))
    assert store.get(first.id) is None
    assert store.get(second.id) is second and store.get(third.id) is third
    assert first.csrf_token != second.csrf_token


@pytest.mark.parametrize(
    ("answer", "unreachable"),
    [
        (None, True),  # connection refused
        (httpx.Response(503, text="starting"), True),
        (httpx.Response(400, json={"error": "invalid_grant"}), False),  # Keycloak answered: this code is bad
    ],
)
async def test_a_keycloak_that_does_not_answer_is_told_apart_from_one_that_refuses(
    answer: httpx.Response | None, unreachable: bool
) -> None:
    def keycloak(request: httpx.Request) -> httpx.Response:
        if answer is None:
            raise httpx.ConnectError("connection refused", request=request)
        return answer

    verifier = TokenVerifier(OidcSettings(issuer=ISSUER))
    client = OidcClient(OidcSettings(issuer=ISSUER), "civicpool-portal", verifier, "http://127.0.0.1/portal")
    await client.aclose()
    client._http = httpx.AsyncClient(transport=httpx.MockTransport(keycloak))
    try:
        assert await client.reachable() is not unreachable
        with pytest.raises(LoginFailed) as caught:
            await client.redeem("code", PendingLogin.start("/portal/"))
        assert isinstance(caught.value, KeycloakUnreachable) is unreachable
    finally:
        await client.aclose()
        await verifier.aclose()


async def test_browsers_go_to_the_public_keycloak_and_the_gateway_to_the_internal_one() -> None:
    """In containers the public URL points at the load balancer, which the gateway itself cannot reach."""
    oidc = OidcSettings(issuer="https://login.example.org/realms/civicpool",
                        internal_issuer="http://keycloak:8080/realms/civicpool")  # fmt: skip
    asked: list[str] = []

    def keycloak(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(400, json={"error": "invalid_grant"})

    verifier = TokenVerifier(oidc)
    client = OidcClient(oidc, "civicpool-portal", verifier, "https://civicpool.example.org/portal")
    await client.aclose()
    client._http = httpx.AsyncClient(transport=httpx.MockTransport(keycloak))
    try:
        pending = PendingLogin.start("/portal/")
        browser = urlsplit(client.authorization_url(pending, "de"))
        assert (browser.netloc, browser.path) == ("login.example.org", "/realms/civicpool/protocol/openid-connect/auth")
        assert parse_qs(browser.query)["redirect_uri"] == ["https://civicpool.example.org/portal/callback"]
        assert client.logout_url("id").startswith("https://login.example.org/realms/civicpool/")
        assert client.origin == "https://login.example.org"
        await client.reachable()
        with pytest.raises(LoginFailed):
            await client.redeem("code", pending)
        assert asked == [
            "http://keycloak:8080/realms/civicpool/.well-known/openid-configuration",
            "http://keycloak:8080/realms/civicpool/protocol/openid-connect/token",
        ]
    finally:
        await client.aclose()
        await verifier.aclose()
