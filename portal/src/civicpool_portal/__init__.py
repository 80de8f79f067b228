"""The portal: server-rendered pages for city IT, lead cities, finance, the network admin and vendors.

An ASGI app of its own, with its own error pages, for its host to mount at PORTAL
(/portal: every page, redirect, cookie and file of it is under that path). It
is a client of the REST API, which it is given: the API's ASGI app when both
run in one process (the gateway's), or the API's address.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from civicpool_common.auth import TokenVerifier
from civicpool_common.messages import N_
from civicpool_common.settings import OidcSettings
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from civicpool_portal import (
    admin_pages,
    auth_pages,
    competition_pages,
    contract_pages,
    demand_pages,
    finance_pages,
    invoice_pages,
    notification_pages,
    tender_pages,
)
from civicpool_portal.config import PortalSettings
from civicpool_portal.oidc import OidcClient
from civicpool_portal.page_request import (
    PORTAL,
    SESSION_COOKIE,
    ApiError,
    CsrfRefused,
    LoginRequired,
    NoAccess,
    PortalRuntime,
    SessionExpired,
    SignInUnavailable,
    error_page,
    login_path,
    sign_in_unavailable,
)
from civicpool_portal.sessions import SessionStore

__all__ = ["DOCUMENTS_PATH", "IMPORT_PATH", "PORTAL", "PortalSettings", "create_app"]

# A spreadsheet upload, passed on to the API's import: its host lets it be as large as the API's.
IMPORT_PATH = rf"{PORTAL}/rounds/[^/]+/import"
# A tender's or a bid's document upload, passed on to the API: as large as the API takes one.
DOCUMENTS_PATH = rf"{PORTAL}/tenders/[^/]+/(bids/[^/]+/)?documents(/[^/]+)?"
PAGES = (auth_pages, demand_pages, tender_pages, contract_pages, competition_pages, finance_pages, invoice_pages,
         admin_pages, notification_pages)  # fmt: skip
IN_PROCESS_API = "http://api.internal"  # the base URL of an in-process API (never resolved)


def create_app(api: ASGIApp | str, settings: PortalSettings | None = None, oidc: OidcSettings | None = None) -> FastAPI:
    """The portal, to be mounted at PORTAL; `api` is the REST API's ASGI app (in-process) or its base URL.

    Its lifespan opens what it keeps (sessions, the Keycloak client, the API client). A host that
    mounts it runs that lifespan inside its own (Starlette runs no mounted app's lifespan by itself).
    """
    settings = settings or PortalSettings()
    oidc = oidc or OidcSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.portal = open_runtime(api, settings, oidc)
        try:
            yield
        finally:
            await app.state.portal.aclose()

    # No OpenAPI and no docs: pages for people, not an API.
    app = FastAPI(title="civicpool portal", lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    for module in PAGES:
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="portal-static")
    install_error_pages(app)
    return app


def open_runtime(api: ASGIApp | str, settings: PortalSettings, oidc: OidcSettings) -> PortalRuntime:
    if isinstance(api, str):
        client = httpx.AsyncClient(base_url=api, timeout=30.0)
    else:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url=IN_PROCESS_API, timeout=30.0)
    verifier = TokenVerifier(oidc)
    return PortalRuntime(
        sessions=SessionStore(settings.portal_session_idle_seconds),
        oidc=OidcClient(oidc, settings.portal_client_id, verifier, f"{settings.public_url.rstrip('/')}{PORTAL}"),
        verifier=verifier,
        api=client,
        secure_cookies=settings.portal_secure_cookies,
        login_key=secrets.token_bytes(32),
    )


def install_error_pages(app: FastAPI) -> None:
    """Every error of the portal is a page in the user's language, never a problem document."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> HTMLResponse:
        message = N_("The address or the form has a value the portal cannot read.")
        return error_page(request, 422, N_("This page cannot be shown"), message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        title = N_("Page not found") if exc.status_code == 404 else N_("This page cannot be shown")
        return error_page(request, exc.status_code, title, f"{exc.status_code}: {exc.detail}")

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(login_path(exc.next_path), 303)

    @app.exception_handler(SessionExpired)
    async def _expired(request: Request, exc: SessionExpired) -> HTMLResponse:
        message = N_("For your safety you were signed out. Sign in again to go on.")
        response = error_page(request, 401, N_("Your session has expired"), message, action="login")
        response.delete_cookie(SESSION_COOKIE, path=PORTAL)
        return response

    @app.exception_handler(SignInUnavailable)
    async def _sign_in_unavailable(request: Request, exc: SignInUnavailable) -> HTMLResponse:
        return sign_in_unavailable(request)

    @app.exception_handler(NoAccess)
    async def _no_access(request: Request, exc: NoAccess) -> HTMLResponse:
        return error_page(request, 403, N_("No access"), exc.message)

    @app.exception_handler(ApiError)
    async def _refused(request: Request, exc: ApiError) -> HTMLResponse:
        """The API refused to show a page's data (a change's refusal is a message on the page instead)."""
        status = exc.status if 400 <= exc.status < 500 else 502
        return error_page(request, status, N_("This page cannot be shown"), exc.detail)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> HTMLResponse:
        message = N_("This form did not come from your portal page. Nothing was changed.")
        return error_page(request, 403, N_("Form refused"), message)

    @app.exception_handler(Exception)
    async def _failed(request: Request, exc: Exception) -> HTMLResponse:
        """A fault of ours. Starlette raises it on after this page, so that the host logs it."""
        message = N_("Something failed on our side. Please try again later.")
        return error_page(request, 500, N_("This page cannot be shown"), message)
