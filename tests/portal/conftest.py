"""A real Chromium (Debian's package) driven by Playwright against the session's gateway and Keycloak."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from civicpool_cli.demo import DEMO_PASSWORD
from civicpool_cli.stack import Stack
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# No browser downloads here: Debian's Chromium, with the flags DEVELOPERS.md names.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LAPTOP = {"width": 1366, "height": 768}

SignIn = Callable[..., Page]
Shoot = Callable[[Page, str], None]


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    # Package scope, not session: Playwright's sync API keeps an event loop running in this thread
    # while it is open, and the asyncio tests that follow need the thread to themselves.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def portal_url(stack: Stack) -> str:
    return f"{stack.gateway_url}/portal"


@pytest.fixture
def sign_in(browser: Browser, portal_url: str) -> Iterator[SignIn]:
    """sign_in("bruchsal.it") is a new browser (own cookies) signed in through Keycloak's login form."""
    contexts = []

    def signed_in(username: str, path: str = "/", password: str = DEMO_PASSWORD) -> Page:
        context = browser.new_context(viewport=LAPTOP, locale="de-DE")
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{portal_url}{path}")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("#kc-login")
        page.wait_for_url(f"{portal_url}/**")
        return page

    yield signed_in
    for context in contexts:
        context.close()


# Form controls a screen reader could not name, charts without a text, more or less than one h1.
ACCESSIBILITY_FAULTS = """() => {
  const unnamed = [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')].filter(e =>
    !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby')
    && !(e.tagName === 'BUTTON' && e.textContent.trim()));
  const charts = [...document.querySelectorAll('svg')].filter(e => e.getAttribute('role') !== 'img'
    || !e.getAttribute('aria-label'));
  const faults = [...unnamed, ...charts].map(e => e.outerHTML.slice(0, 160));
  if (document.querySelectorAll('h1').length !== 1) faults.push('h1 count ' + document.querySelectorAll('h1').length);
  if (!document.documentElement.lang) faults.push('html without lang');
  return faults;
}"""


@pytest.fixture(scope="session")
def shoot(repo_root: Path) -> Shoot:
    """Check the page's accessible markup, then save a full-page screenshot.

    `make screenshots` writes them to docs/screenshots for the README.
    """
    folder = Path(os.environ.get("CIVICPOOL_SCREENSHOTS", repo_root / "test-results" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)

    def screenshot(page: Page, name: str) -> None:
        assert page.evaluate(ACCESSIBILITY_FAULTS) == [], name
        page.screenshot(path=folder / f"{name}.png", full_page=True)

    return screenshot
