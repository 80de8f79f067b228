"""Signing in through Keycloak (code flow + PKCE), signing out everywhere, the language, the start page."""

from __future__ import annotations

import hmac
from typing import Annotated

from civicpool_common.auth import Role
from civicpool_common.messages import N_
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from civicpool_portal import i18n
from civicpool_portal.oidc import KeycloakUnreachable, LoginFailed
from civicpool_portal.page_request import (
    LANGUAGE_COOKIE,
    LOGIN_COOKIE,
    PORTAL,
    SESSION_COOKIE,
    FormPortalDep,
    PortalDep,
    error_page,
    locale_of,
    render,
    runtime,
    safe_next,
    sign_in_unavailable,
)
from civicpool_portal.sessions import PENDING_LOGIN_SECONDS, PendingLogin

router = APIRouter()
YEAR_SECONDS = 365 * 24 * 3600


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PORTAL,
        httponly=True,
        secure=runtime(request).secure_cookies,
        samesite="lax",  # sent on Keycloak's redirect back (a top-level GET), never on another site's POST
    )


@router.get("/login")
async def login(request: Request, next: Annotated[str | None, Query()] = None) -> Response:
    state = runtime(request)
    if not await state.oidc.reachable():
        return sign_in_unavailable(request)  # better than a browser's "cannot connect" at Keycloak
    pending = PendingLogin.start(safe_next(next))
    response = RedirectResponse(state.oidc.authorization_url(pending, locale_of(request).language), 303)
    _set_cookie(request, response, LOGIN_COOKIE, pending.seal(state.login_key), max_age=PENDING_LOGIN_SECONDS)
    return response


@router.get("/callback", name="portal_callback")
async def callback(
    request: Request,
    code: Annotated[str | None, Query()] = None,
    state: Annotated[str | None, Query()] = None,
    error: Annotated[str | None, Query()] = None,
) -> Response:
    portal_runtime = runtime(request)
    locale = locale_of(request)
    pending = PendingLogin.unseal(request.cookies.get(LOGIN_COOKIE, ""), portal_runtime.login_key)
    if pending is None or state is None or not hmac.compare_digest(pending.state, state):
        return _login_failed(request, locale.gettext("This sign-in was not started here or took too long."))
    if error or not code:
        return _login_failed(
            request, locale.gettext("Keycloak did not sign you in ({error}).", error=error or "no code")
        )
    try:
        tokens = await portal_runtime.oidc.redeem(code, pending)
    except KeycloakUnreachable:
        return sign_in_unavailable(request)  # the pending sign-in stays: it may work once Keycloak is back
    except LoginFailed as exc:
        return _login_failed(request, str(exc))
    portal_runtime.sessions.end(request.cookies.get(SESSION_COOKIE, ""))  # a new sign-in, a new session id
    session = portal_runtime.sessions.create(tokens)
    response = RedirectResponse(pending.next_path, 303)
    _set_cookie(request, response, SESSION_COOKIE, session.id)
    response.delete_cookie(LOGIN_COOKIE, path=PORTAL)
    return response


def _login_failed(request: Request, reason: str) -> HTMLResponse:
    return error_page(request, 400, N_("Sign-in failed"), reason, action="login")


@router.post("/logout")
async def logout(request: Request, portal: FormPortalDep) -> Response:
    """End the portal session and Keycloak's single sign-on session (the next visit shows the login form)."""
    portal_runtime = runtime(request)
    portal_runtime.sessions.end(portal.session.id)
    target = portal_runtime.oidc.logout_url(portal.session.tokens.id_token)
    response = RedirectResponse(target, 303)
    response.delete_cookie(SESSION_COOKIE, path=PORTAL)
    return response


@router.get("/signed-out", name="portal_signed_out")
async def signed_out(request: Request) -> HTMLResponse:
    return render(request, "signed_out.html", {})


@router.get("/language")
async def language(request: Request, lang: str, next: str | None = None) -> Response:
    response = RedirectResponse(safe_next(next), 303)
    if lang in i18n.LANGUAGES:
        _set_cookie(request, response, LANGUAGE_COOKIE, lang, max_age=YEAR_SECONDS)
    return response


@router.get("/")
async def home(portal: PortalDep) -> HTMLResponse:
    """The start page; the IT office and the lead city see the open rounds and their deadlines first."""
    open_rounds = []
    if portal.has(Role.CITY_IT, Role.PROCUREMENT_LEAD):
        open_rounds = sorted(await portal.get_all("/rounds", status="open"), key=lambda r: r["closes_at"])
    return await portal.page("home.html", open_rounds=open_rounds)
