"""The portal as the gateway hosts it: an app of its own at /portal, with its own error pages, apart from the API."""

from __future__ import annotations

import ast
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from civicpool_gateway.main import create_app
from civicpool_portal import PORTAL
from fastapi import FastAPI
from prometheus_client import REGISTRY
from starlette.routing import Mount

from tests.conftest import PROBLEM

SERVICES = ("civicpool_catalog", "civicpool_demand", "civicpool_contracts")


def _portal_of(gateway: FastAPI) -> FastAPI:
    mounted = [route.app for route in gateway.routes if isinstance(route, Mount) and route.path == PORTAL]
    assert len(mounted) == 1 and isinstance(mounted[0], FastAPI)
    return mounted[0]


@pytest.fixture
async def hosted() -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The gateway app with its portal started (the API's own start is not needed for these requests)."""
    gateway = create_app()
    portal = _portal_of(gateway)
    transport = httpx.ASGITransport(app=gateway, raise_app_exceptions=False)
    async with (
        portal.router.lifespan_context(portal),
        httpx.AsyncClient(transport=transport, base_url="http://gateway") as client,
    ):
        yield portal, client


@pytest.mark.parametrize(("language", "title"), [("de", "Seite nicht gefunden"), ("en", "Page not found")])
async def test_a_missing_portal_page_is_a_page_in_the_users_language(
    hosted: tuple[FastAPI, httpx.AsyncClient], language: str, title: str
) -> None:
    _, client = hosted
    client.cookies.set("civicpool_lang", language)
    for path in ("/portal/no-such-page", "/portal/static/no-such.css", "/portal/docs", "/portal/openapi.json"):
        answer = await client.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html")
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert title in answer.text and 'data-testid="error-page"' in answer.text


async def test_the_api_still_answers_its_errors_with_problems(hosted: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _, client = hosted
    for path in ("/api/v1/no-such-thing", "/no-such-thing", "/portalx"):
        answer = await client.get(path)
        assert (answer.status_code, answer.headers["content-type"]) == (404, PROBLEM), path
    wrong_method = await client.delete("/portal/rounds")  # the portal's, though: a page
    assert wrong_method.status_code == 405 and wrong_method.headers["content-type"].startswith("text/html")


async def test_a_fault_in_a_portal_page_is_a_page_too(hosted: tuple[FastAPI, httpx.AsyncClient]) -> None:
    portal, client = hosted

    @portal.get("/fault")
    async def fault() -> None:
        raise RuntimeError("a fault of ours")

    answer = await client.get("/portal/fault")
    assert answer.status_code == 500 and answer.headers["content-type"].startswith("text/html")
    assert "Bei uns ist etwas fehlgeschlagen" in answer.text
    assert "x-request-id" in answer.headers


async def test_every_address_of_the_portal_is_where_it_was(hosted: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _, client = hosted
    assert (await client.get("/")).headers["location"] == "/portal/"
    assert (await client.get("/portal")).headers["location"] == "http://gateway/portal/"
    page = await client.get("/portal/rounds/r1", params={"status": "open"})
    assert (page.status_code, page.headers["location"]) == (303, "/portal/login?next=/portal/rounds/r1%3Fstatus%3Dopen")
    styles = await client.get("/portal/static/portal.css")
    assert styles.status_code == 200 and styles.headers["content-type"].startswith("text/css")


async def test_portal_requests_are_counted_under_the_mounted_route(hosted: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _, client = hosted
    labels = {"method": "GET", "route": "/portal/rounds/{round_id}", "status": "303"}
    before = REGISTRY.get_sample_value("civicpool_http_requests_total", labels) or 0.0
    await client.get("/portal/rounds/r1")
    await client.get("/portal/rounds/r2")
    assert REGISTRY.get_sample_value("civicpool_http_requests_total", labels) == before + 2


async def test_the_portals_upload_may_be_as_large_as_the_apis(hosted: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _, client = hosted
    fits = await client.post("/portal/rounds/r1/import", files={"file": ("b.csv", b"x" * 1_500_000)})
    too_large = await client.post("/portal/rounds/r1/import", files={"file": ("b.csv", b"x" * 2_300_000)})
    form_too_large = await client.post("/portal/rounds", content=b"x" * 1_100_000)
    assert fits.status_code == 303  # through the limit, on to sign-in
    assert (too_large.status_code, form_too_large.status_code) == (413, 413)


def test_the_api_document_has_no_portal_path() -> None:
    assert not [path for path in create_app().openapi()["paths"] if path.startswith(PORTAL)]


def _imports(package: Path) -> dict[str, set[str]]:
    """module file (relative to the package) -> the top-level packages it imports."""
    found: dict[str, set[str]] = {}
    for path in package.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[path.relative_to(package).as_posix()] = names
    return found


def test_the_portal_knows_nothing_of_the_gateway_and_the_gateway_mounts_it_in_one_place(repo_root: Path) -> None:
    portal = _imports(repo_root / "portal/src/civicpool_portal")
    gateway = _imports(repo_root / "gateway/src/civicpool_gateway")
    assert {
        module for module, names in portal.items() if names & {"civicpool_gateway", "civicpool_cli", *SERVICES}
    } == set()
    assert {module for module, names in gateway.items() if "civicpool_portal" in names} == {"main.py"}
    assert {module for module, names in gateway.items() if names & {"civicpool_cli", *SERVICES}} == set()
    gateway_files = [p for p in (repo_root / "gateway/src/civicpool_gateway").rglob("*") if p.is_file()]
    assert not [p for p in gateway_files if p.suffix in (".html", ".css")]  # templates and files are the portal's
