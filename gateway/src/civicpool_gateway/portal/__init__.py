"""The portal: server-rendered pages for city IT, lead cities, finance, the network admin and vendors."""

from __future__ import annotations

import inspect
import secrets
from collections.abc import Awaitable
from pathlib import Path

import httpx
from civicpool_common.auth import TokenVerifier
from civicpool_common.settings import OidcSettings
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from civicpool_gateway.portal import (
    admin_pages,
    auth_pages,
    contract_pages,
    demand_pages,
    finance_pages,
    tender_pages,
)
from civicpool_gateway.portal.config import PortalSettings
from civicpool_gateway.portal.i18n import N_
from civicpool_gateway.portal.oidc import OidcClient
from civicpool_gateway.portal.sessions import SessionStore
from civicpool_gateway.portal.web import (
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

IMPORT_PATH = rf"{PORTAL}/rounds/[^/]+/import"  # a spreadsheet upload, as large as the API's
PAGES = (auth_pages, demand_pages, tender_pages, contract_pages, finance_pages, admin_pages)


def open_runtime(app: FastAPI, settings: PortalSettings, oidc: OidcSettings, verifier: TokenVerifier) -> PortalRuntime:
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.internal", timeout=30.0)
    return PortalRuntime(
        sessions=SessionStore(settings.portal_session_idle_seconds),
        oidc=OidcClient(oidc, settings.portal_client_id, verifier, f"{settings.public_url.rstrip('/')}{PORTAL}"),
        api=api,
        secure_cookies=settings.portal_secure_cookies,
        login_key=secrets.token_bytes(32),
    )


def install(app: FastAPI) -> None:
    for module in PAGES:
        app.include_router(module.router)
    app.mount(f"{PORTAL}/static", StaticFiles(directory=Path(__file__).parent / "static"), name="portal-static")

    # The API answers errors with problem documents; on portal pages a person gets a page.
    api_validation = app.exception_handlers[RequestValidationError]
    api_http = app.exception_handlers[StarletteHTTPException]

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if not request.url.path.startswith(f"{PORTAL}/"):
            return await _answer(api_validation(request, exc))
        message = N_("The address or the form has a value the portal cannot read.")
        return error_page(request, 422, N_("This page cannot be shown"), message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not request.url.path.startswith(f"{PORTAL}/"):
            return await _answer(api_http(request, exc))
        title = N_("Page not found") if exc.status_code == 404 else N_("This page cannot be shown")
        return error_page(request, exc.status_code, title, f"{exc.status_code}: {exc.detail}")

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
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


async def _answer(answer: Response | Awaitable[Response]) -> Response:
    """What an exception handler answers; Starlette's may be plain or awaitable."""
    return await answer if inspect.isawaitable(answer) else answer
