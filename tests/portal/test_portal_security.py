"""Sign-out, CSRF, "no access", an expired session, another city's data, and the language, in a real browser."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import httpx
from civicpool_cli.stack import Stack
from playwright.sync_api import expect

from tests.conftest import ApiFactory
from tests.portal.conftest import Shoot, SignIn


def test_a_form_without_the_session_csrf_token_is_refused_and_changes_nothing(
    sign_in: SignIn, api: ApiFactory, portal_url: str
) -> None:
    page = sign_in("ettlingen.lead", "/rounds")
    before = api("ettlingen.lead").get("/rounds", params={"limit": 200}).json()["data"]
    form = {"title": "Von einer fremden Seite", "opens_at": "2027-01-01T10:00", "closes_at": "2027-02-01T10:00"}
    for token in (None, "forged"):
        data = form if token is None else {**form, "csrf_token": token}
        # The browser's own cookies go along, as they would with a form posted from another site.
        response = page.request.post(f"{portal_url}/rounds", form=data, max_redirects=0)
        assert response.status == 403
        assert "Formular abgelehnt" in response.text()
    after = api("ettlingen.lead").get("/rounds", params={"limit": 200}).json()["data"]
    assert [r["id"] for r in after] == [r["id"] for r in before]
    # The same form from the page itself goes through.
    page.fill("input[name=title]", "Runde mit gültigem Formular")
    page.fill("input[name=opens_at]", "2027-01-01T10:00:00")
    page.fill("input[name=closes_at]", "2027-02-01T10:00:00")
    page.get_by_role("button", name="Runde anlegen").click()
    expect(page.locator(".flash.ok")).to_contain_text("Runde als Entwurf angelegt")


def test_sign_out_ends_the_keycloak_session_too(sign_in: SignIn, portal_url: str, shoot: Shoot) -> None:
    page = sign_in("bruchsal.it")
    expect(page.get_by_test_id("open-rounds")).to_contain_text("Gemeinsame Beschaffung 2027")  # the demo's round
    shoot(page, "home")
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_test_id("signed-out")).to_be_visible()
    shoot(page, "signed-out")
    assert "civicpool_session" not in {c["name"] for c in page.context.cookies()}
    # Back to the portal: Keycloak asks for the password again (no silent single sign-on).
    page.goto(f"{portal_url}/rounds")
    expect(page.locator("#username")).to_be_visible()
    expect(page.locator("#password")).to_be_visible()


def test_a_page_outside_the_role_shows_no_access(sign_in: SignIn, portal_url: str, shoot: Shoot) -> None:
    page = sign_in("bruchsal.it")
    response = page.goto(f"{portal_url}/finance")
    assert response is not None and response.status == 403
    expect(page.get_by_test_id("error-page")).to_contain_text("Kein Zugriff")
    shoot(page, "no-access")
    for path in ("/admin", "/tenders"):
        response = page.goto(f"{portal_url}{path}")
        assert response is not None and response.status == 403


def test_an_unknown_or_ended_session_shows_the_expired_page(sign_in: SignIn, portal_url: str) -> None:
    page = sign_in("bruchsal.it")
    session = next(c for c in page.context.cookies() if c["name"] == "civicpool_session")
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Lax"
    page.context.add_cookies([{**session, "value": "no-such-session"}])
    response = page.goto(f"{portal_url}/rounds")
    assert response is not None and response.status == 401
    expect(page.get_by_test_id("error-page")).to_contain_text("Ihre Sitzung ist abgelaufen")
    # Signing in again works from there (Keycloak's own session still stands, so no form).
    page.get_by_role("link", name="Anmelden").click()
    expect(page.locator("h1")).to_contain_text("Willkommen, bruchsal.it")


def test_another_citys_data_is_never_shown(sign_in: SignIn, api: ApiFactory, portal_url: str) -> None:
    contracts = api("rastatt.it").get("/contracts", params={"limit": 200}).json()["data"]
    assert contracts  # the demo's contracts name Rastatt's quota
    page = sign_in("bruchsal.finance")
    page.goto(f"{portal_url}/contracts/{contracts[0]['id']}")
    rows = page.get_by_test_id("quotas").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-city", "bruchsal")
    # Asking for another city's finance page shows one's own.
    page.goto(f"{portal_url}/finance?city=rastatt")
    expect(page.locator("h1")).to_have_text("Finanzen von Bruchsal")
    assert "rastatt" not in page.get_by_test_id("allocations").inner_text().lower()
    assert "Rastatt" not in page.get_by_test_id("budget").inner_text()


def test_english_on_request_with_english_numbers(sign_in: SignIn, portal_url: str) -> None:
    page = sign_in("bruchsal.finance", "/finance")
    page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_have_text("Finance of Bruchsal")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    total = page.get_by_test_id("cost-total").inner_text()
    assert re.fullmatch(r"€\d{1,3}(,\d{3})*\.\d{2}", total), total
    page.get_by_role("link", name="Deutsch").click()
    expect(page.locator("h1")).to_have_text("Finanzen von Bruchsal")


def test_network_admin_sees_catalog_cities_vendors_and_cost_keys(sign_in: SignIn, shoot: Shoot) -> None:
    page = sign_in("network.admin", "/admin")
    for table, expected in (("items", "VC-EU-CLOUD"), ("cities", "Bruchsal"), ("vendors", "GlobalMeet"),
                            ("cost-keys", "%")):  # fmt: skip
        expect(page.get_by_test_id(table)).to_contain_text(expected)
    expect(page.get_by_test_id("items").locator("tr", has_text="VC-GLOBALMEET")).to_contain_text("Drittland")
    sku = f"PORTAL-{time.time_ns()}"
    page.get_by_text("Artikel anlegen", exact=True).first.click()  # opens the form
    page.fill("form[action='/portal/admin/items'] input[name=sku]", sku)
    page.fill("form[action='/portal/admin/items'] input[name=name]", "Sprachassistent für Bürgerämter")
    page.select_option("form[action='/portal/admin/items'] select[name=kind]", "license")
    page.fill("form[action='/portal/admin/items'] input[name=cpv_code]", "48000000-8")
    page.fill("form[action='/portal/admin/items'] input[name=unit]", "Nutzer/Jahr")
    page.fill("form[action='/portal/admin/items'] input[name=reference_price]", "1.234,50")
    page.select_option("form[action='/portal/admin/items'] select[name=hosting_region]", "EU")
    page.select_option("form[action='/portal/admin/items'] select[name=license_model]", "per_user")
    page.fill("form[action='/portal/admin/items'] input[name=license_term_months]", "12")
    page.get_by_role("button", name="Artikel anlegen").click()
    expect(page.locator(".flash.ok")).to_contain_text("Artikel in den Katalog aufgenommen")
    row = page.get_by_test_id("items").locator("tr", has_text=sku)
    expect(row).to_contain_text("Hosting: EU")
    expect(row.get_by_label(f"Richtpreis von {sku}")).to_have_value("1234,50")
    row.get_by_label(f"Richtpreis von {sku}").fill("999")
    row.get_by_role("button", name="Speichern").click()
    expect(page.locator(".flash.ok")).to_contain_text("Richtpreis geändert")
    price = page.get_by_test_id("items").locator("tr", has_text=sku).get_by_label(f"Richtpreis von {sku}")
    expect(price).to_have_value("999,00")

    vendor = page.get_by_test_id("vendors").locator("tr", has_text="GlobalMeet")
    vendor.get_by_role("button", name="Deaktivieren").click()
    expect(page.locator(".flash.ok")).to_contain_text("Deaktiviert")
    vendor = page.get_by_test_id("vendors").locator("tr", has_text="GlobalMeet")
    vendor.get_by_role("button", name="Aktivieren").click()
    expect(page.locator(".flash.ok")).to_contain_text("Aktiviert")
    shoot(page, "admin")


def test_pages_are_never_framed_cached_or_sniffed(sign_in: SignIn, portal_url: str, stack: Stack) -> None:
    page = sign_in("bruchsal.it")
    response = page.goto(f"{portal_url}/rounds")
    assert response is not None
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert f"form-action 'self' {stack.keycloak.url}" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "same-origin"


def test_a_lead_of_another_city_reads_a_tender_but_not_its_scores(
    sign_in: SignIn, api: ApiFactory, portal_url: str
) -> None:
    awarded = api("ettlingen.lead").get("/tenders", params={"status": "awarded", "limit": 200}).json()["data"]
    assert awarded  # the demo's tender
    page = sign_in("bruchsal.lead")
    response = page.goto(f"{portal_url}/tenders/{awarded[0]['id']}")
    assert response is not None and response.status == 200
    expect(page.get_by_test_id("tender-status")).to_have_text("bezuschlagt")
    expect(page.get_by_test_id("scores")).to_have_count(0)
    expect(page.get_by_test_id("tender-contracts")).to_have_count(0)


def test_portal_errors_are_pages_not_problem_documents(sign_in: SignIn, portal_url: str) -> None:
    page = sign_in("bruchsal.finance")
    response = page.goto(f"{portal_url}/finance?from={'9' * 40}")
    assert response is not None and response.status == 422
    assert response.headers["content-type"].startswith("text/html")
    response = page.goto(f"{portal_url}/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_test_id("error-page")).to_contain_text("Seite nicht gefunden")


HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'


def test_script_in_stored_text_is_shown_as_text(sign_in: SignIn, api: ApiFactory) -> None:
    """A round title and a demand line's justification holding markup: the page shows the characters, runs nothing."""
    lead = api("ettlingen.lead")
    window = {"opens_at": "2026-01-01T00:00:00Z", "closes_at": "2030-01-01T00:00:00Z"}
    created = lead.post("/rounds", json={"title": f"Runde {HOSTILE}", **window})
    assert created.status_code == 201, created.text
    round_id = created.json()["id"]
    assert lead.post(f"/rounds/{round_id}/open").status_code == 200
    item_id = api("bruchsal.it").get("/items", params={"limit": 1}).json()["data"][0]["id"]
    line = {"item_id": item_id, "quantity": 1, "justification": HOSTILE}
    assert api("bruchsal.it").post(f"/rounds/{round_id}/lines", json=line).status_code == 201

    page = sign_in("bruchsal.it", f"/rounds/{round_id}")
    expect(page.locator("h1")).to_contain_text(HOSTILE)
    expect(page.get_by_text(HOSTILE, exact=True)).to_be_visible()  # the justification, character for character
    assert page.locator("main script, main img").count() == 0
    assert page.evaluate("window.pwned") is None


def test_keycloak_sends_the_browser_back_to_the_configured_address_whatever_the_host_header(stack: Stack) -> None:
    """A forged Host header must not turn the sign-in into a redirect to someone else's site."""
    for host in ("evil.example", "127.0.0.1:1"):
        response = httpx.get(f"{stack.gateway_url}/portal/login", headers={"Host": host}, timeout=10)
        assert response.status_code == 303, response.text
        query = parse_qs(urlsplit(response.headers["location"]).query)
        assert query["redirect_uri"] == [f"{stack.gateway_url}/portal/callback"]
