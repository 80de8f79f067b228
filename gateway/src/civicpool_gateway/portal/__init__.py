"""The portal: server-rendered pages for city IT, lead cities, finance, the network admin and vendors."""

from __future__ import annotations

from pathlib import Path

import httpx
from civicpool_common.settings import OidcSettings
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from civicpool_gateway.config import GatewaySettings
from civicpool_gateway.portal import (
    admin_pages,
    auth_pages,
    contract_pages,
    demand_pages,
    finance_pages,
    tender_pages,
)
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
    locale_of,
    login_path,
    render,
)

PAGES = (auth_pages, demand_pages, tender_pages, contract_pages, finance_pages, admin_pages)


def open_runtime(app: FastAPI, settings: GatewaySettings, oidc: OidcSettings) -> PortalRuntime:
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.internal", timeout=30.0)
    keycloak = httpx.AsyncClient(timeout=10.0)
    return PortalRuntime(
        sessions=SessionStore(settings.portal_session_idle_seconds),
        oidc=OidcClient(oidc.issuer, settings.portal_client_id, keycloak),
        api=api,
        secure_cookies=settings.portal_secure_cookies,
        keycloak=keycloak,
    )


def install(app: FastAPI) -> None:
    for module in PAGES:
        app.include_router(module.router)
    app.mount(f"{PORTAL}/static", StaticFiles(directory=Path(__file__).parent / "static"), name="portal-static")

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_path(exc.next_path), 303)

    @app.exception_handler(SessionExpired)
    async def _expired(request: Request, exc: SessionExpired) -> HTMLResponse:
        locale = locale_of(request)
        context = {
            "title": locale.gettext("Your session has expired"),
            "message": locale.gettext("For your safety you were signed out. Sign in again to go on."),
            "action": "login",
        }
        response = render(request, "error.html", context, status=401)
        response.delete_cookie(SESSION_COOKIE, path=PORTAL)
        return response

    @app.exception_handler(NoAccess)
    async def _no_access(request: Request, exc: NoAccess) -> HTMLResponse:
        locale = locale_of(request)
        context = {"title": locale.gettext("No access"), "message": exc.message, "action": "home"}
        return render(request, "error.html", context, status=403)

    @app.exception_handler(ApiError)
    async def _refused(request: Request, exc: ApiError) -> HTMLResponse:
        """The API refused to show a page's data (a change's refusal is a message on the page instead)."""
        locale = locale_of(request)
        status = exc.status if 400 <= exc.status < 500 else 502
        context = {"title": locale.gettext("This page cannot be shown"), "message": exc.detail, "action": "home"}
        return render(request, "error.html", context, status=status)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> HTMLResponse:
        locale = locale_of(request)
        context = {
            "title": locale.gettext("Form refused"),
            "message": locale.gettext("This form did not come from your portal page. Nothing was changed."),
            "action": "home",
        }
        return render(request, "error.html", context, status=403)
