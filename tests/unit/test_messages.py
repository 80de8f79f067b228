"""The message catalogue: every text the code marks stands in German and English, with the same placeholders;
problems answer in the language the request prefers."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from civicpool_common import messages
from civicpool_common.auth import Principal, Role
from civicpool_common.reasons import REASONS, Reason
from civicpool_gateway.main import create_app
from civicpool_portal import i18n
from civicpool_portal.page_request import navigation

ROOT = Path(__file__).resolve().parents[2]
PORTAL_DIR = Path(i18n.__file__).parent
# Text("..."), _("..."), portal._("..."), locale.gettext("...") and N_("...") with a literal text
TEXT_CALL = re.compile(r"""(?:\bText|(?<![\w])_|\._|gettext|\bN_)\(\s*(["'])(.+?)(?<!\\)\1""")
LABEL_CALL = re.compile(r"""label\(\s*["'](\w+)["']""")
PLACEHOLDER = re.compile(r"{\w+(?::[^}]*)?}")


def _portal_sources() -> list[Path]:
    return [*PORTAL_DIR.glob("templates/*.html"), *PORTAL_DIR.glob("*.py")]


def _sources() -> list[Path]:
    """Every source that may write a text for people: the portal's and each package's Python."""
    packages = [
        "gateway",
        "portal",
        "cli",
        "libs/common",
        *(f"services/{s.name}" for s in (ROOT / "services").iterdir()),
    ]
    return [
        *PORTAL_DIR.glob("templates/*.html"),
        *(p for package in packages for p in (ROOT / package / "src").rglob("*.py")),
    ]


def marked_texts() -> set[str]:
    """What the code shows people: every marked text, the portal's menu, and every problem's title."""
    found = (m.group(2) for path in _sources() for m in TEXT_CALL.finditer(path.read_text(encoding="utf-8")))
    texts = {text.replace("\\'", "'").replace('\\"', '"') for text in found}
    menu = {title for _, title in navigation(Principal("u", "u", frozenset(Role)))}
    titles = {meaning.title for meaning in REASONS.values()}
    return texts | menu | titles


def _texts_of(language: str) -> set[str]:
    return {source for context, source in messages.catalogue(language) if context is None}


PO_LINE = re.compile(r'(#.*|(msgctxt|msgid|msgstr) ".*"|".*"|)')


@pytest.mark.parametrize("language", messages.LANGUAGES)
def test_every_line_of_a_catalogue_is_gettext(language: str) -> None:
    """Babel skips a line it cannot read without a word: a text pasted into the middle of a comment would
    silently be lost. Every line is a comment, a keyword with its quoted text, a continuation, or blank."""
    path = Path(messages.__file__).parent / f"{language}.po"
    lines = path.read_text(encoding="utf-8").split("\n")
    assert [(n, line) for n, line in enumerate(lines, 1) if not PO_LINE.fullmatch(line)] == []


@pytest.mark.parametrize("language", messages.LANGUAGES)
def test_no_text_stands_twice_in_a_catalogue(language: str) -> None:
    """Babel keeps the last of two entries with the same context and source: the first would be dead, and
    two engineers adding the same source in parallel would not see it."""
    path = Path(messages.__file__).parent / f"{language}.po"
    entries = re.findall(r'(?:^msgctxt (".*")\n)?^msgid (".*")', path.read_text(encoding="utf-8"), re.MULTILINE)
    assert [entry for entry in set(entries) if entries.count(entry) > 1] == []


def test_the_pattern_still_finds_the_texts() -> None:
    assert len(marked_texts()) > 150


@pytest.mark.parametrize("language", messages.LANGUAGES)
def test_every_marked_text_is_in_every_language(language: str) -> None:
    assert sorted(marked_texts() - _texts_of(language)) == []


@pytest.mark.parametrize("language", messages.LANGUAGES)
def test_no_text_is_left_without_use(language: str) -> None:
    assert sorted(_texts_of(language) - marked_texts()) == []


def test_both_languages_hold_the_same_texts_with_the_same_placeholders() -> None:
    german, english = messages.catalogue("de"), messages.catalogue("en")
    assert set(german) == set(english)
    for (context, source), translated in german.items():
        expected = set(PLACEHOLDER.findall(source))
        assert set(PLACEHOLDER.findall(translated)) == expected, (context, source)
        assert set(PLACEHOLDER.findall(english[(context, source)])) == expected, (context, source)


def test_every_kind_of_label_the_pages_show_has_its_labels() -> None:
    shown = {m.group(1) for path in _portal_sources() for m in LABEL_CALL.finditer(path.read_text(encoding="utf-8"))}
    kinds = {context for context, _ in messages.catalogue("de") if context is not None}
    assert shown and shown <= kinds
    assert messages.label("de", "round", "open") == "offen"
    assert messages.label("en", "tender", "bidding_closed") == "bids opened"
    assert messages.label("de", "round", "new-status") is None


def test_a_text_the_catalogue_lacks_shows_its_source_and_an_unknown_language_is_an_error() -> None:
    assert messages.text("de", "Welcome, {name}", name="Ana") == "Willkommen, Ana"
    assert messages.text("de", "no such text {n}", n=3) == "no such text 3"
    with pytest.raises(ValueError, match="no catalogue for 'fr'"):
        messages.catalogue("fr")


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "de"),  # a German browser
        ("en-US,en;q=0.9", "en"),
        (None, "en"),
        ("", "en"),
        ("fr-FR", "en"),  # nothing we speak: the default
        ("fr-FR, de;q=0.5", "de"),
        ("en;q=0.5, de;q=0.9", "de"),  # by quality, not by order
        ("de, en", "de"),  # equal quality: the first
        ("de;q=0, en;q=0.1", "en"),  # q=0: not acceptable
        ("DE", "de"),
        ("de;q=nonsense, en", "en"),
        ("*", "en"),
    ],
)
def test_the_preferred_language_is_negotiated(header: str | None, language: str) -> None:
    assert messages.negotiate(header, "en") == language


async def test_a_problem_answers_in_the_requested_language_and_keeps_its_type() -> None:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        german = await client.get("/api/v1/rounds", headers={"Accept-Language": "de-DE,de;q=0.9"})
        english = await client.get("/api/v1/rounds")
    assert german.status_code == english.status_code == 401
    assert german.json()["type"] == english.json()["type"] == REASONS[Reason.UNAUTHENTICATED].type
    assert english.json()["title"] == REASONS[Reason.UNAUTHENTICATED].title
    assert german.json()["title"] == messages.text("de", english.json()["title"]) != english.json()["title"]
    assert (german.headers["content-language"], english.headers["content-language"]) == ("de", "en")
    assert german.headers["vary"] == "Accept-Language"
