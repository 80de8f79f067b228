"""One portal request: the signed-in session, the user's API client, the page renderer, CSRF.

The portal is a client of the REST API (in-process when the gateway hosts it,
with the user's access token), so every rule and every check stays in one
place: the API and the services behind it. The portal only shows and asks.
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from civicpool_common.auth import Principal, Role, TokenVerifier
from civicpool_common.errors import Unauthenticated
from civicpool_common.messages import N_
from fastapi import Depends, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from civicpool_portal import i18n
from civicpool_portal.charts import bar_chart
from civicpool_portal.oidc import KeycloakUnreachable, LoginFailed, OidcClient
from civicpool_portal.sessions import Flash, PortalSession, SessionStore

PORTAL = "/portal"  # where the portal is mounted: its pages, redirects, cookies and files are all under it
SESSION_COOKIE = "civicpool_session"
LOGIN_COOKIE = "civicpool_login"
LANGUAGE_COOKIE = "civicpool_lang"
CSRF_FIELD = "csrf_token"
# Refresh the access token this long before it expires, so no API call meets an expired one.
REFRESH_MARGIN_SECONDS = 30
SIGN_IN_RETRY_SECONDS = 30
# What the portal asks the API for: /segment/segment..., each a plain id (no "..", "?", "%", "#").
API_PATH = re.compile(r"(/(?!\.\.?(?:/|$))[\w.~-]+)+")
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class SignInUnavailable(Exception):
    """Keycloak cannot be reached: a sign-in cannot start, finish or be renewed until it is back."""


class SessionExpired(Exception):
    """The session is gone (idle too long, signed out elsewhere, gateway restarted)."""


class NoAccess(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


class CsrfRefused(Exception):
    """A form came without this session's CSRF token: it may have been sent by another site."""


class ApiError(Exception):
    """The API refused: its problem document, for the user to read."""

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        self.status = status
        self.problem = problem
        super().__init__(self.detail)

    @property
    def detail(self) -> str:
        return str(self.problem.get("detail") or self.problem.get("title") or self.status)

    def title(self, locale: i18n.Locale) -> str:
        """What kind of refusal, in the user's language (the API's titles and details are English)."""
        return locale.gettext(str(self.problem.get("title") or self.detail))

    def details(self, locale: i18n.Locale) -> list[str]:
        """One line per violation, e.g. "number: muss mindestens 1 sein"; a spreadsheet's row problem says its
        row, the file's heading and the sheet in its message ("Zeile 4, Spalte „Menge“: muss mindestens 1 sein")."""
        lines = []
        for error in self.problem.get("errors") or []:
            if "line" in error:
                lines.append(str(error.get("message", "")))
                continue
            lines.append(f"{error.get('field', '')}: {error.get('message', '')}")
        return lines


@dataclass
class PortalRuntime:
    """What the portal keeps while it runs (app.state.portal): from its start to its end, like its host's."""

    sessions: SessionStore
    oidc: OidcClient
    verifier: TokenVerifier  # the portal's own: whom a session's access token names
    api: httpx.AsyncClient  # the REST API, in-process when co-hosted
    secure_cookies: bool
    login_key: bytes  # seals pending logins in their cookie; new each start, like the sessions

    async def aclose(self) -> None:
        await self.api.aclose()
        await self.oidc.aclose()
        await self.verifier.aclose()


def runtime(request: Request) -> PortalRuntime:
    portal_runtime: PortalRuntime = request.app.state.portal
    return portal_runtime


def locale_of(request: Request) -> i18n.Locale:
    language = request.cookies.get(LANGUAGE_COOKIE, i18n.DEFAULT_LANGUAGE)
    return i18n.Locale(language if language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE)


def safe_next(path: str | None) -> str:
    """Only a path inside the portal: a login must never send the user to another site."""
    if not path or not path.startswith(f"{PORTAL}/") or path.startswith("//") or "\\" in path:
        return f"{PORTAL}/"
    return path


def render(
    request: Request, template: str, context: Mapping[str, Any], *, status: int = 200, portal: Portal | None = None
) -> HTMLResponse:
    locale = portal.locale if portal else locale_of(request)
    base: dict[str, Any] = {
        "_": locale.gettext,
        "label": locale.label,
        "money": locale.money,
        "money_input": locale.money_input,
        "number": locale.number,
        "milli": locale.milli,
        "datetime": locale.datetime,
        "date": locale.date,
        "date_input": locale.date_input,
        "time_input": locale.time_input,
        "date_placeholder": locale.date_placeholder,
        "bar_chart": bar_chart,
        "language": locale.language,
        "path": request.url.path,
        "user": portal.principal if portal else None,
        "csrf_token": portal.session.csrf_token if portal else "",
        "flashes": portal.session.take_flashes() if portal else [],
        "nav": navigation(portal.principal) if portal else [],
    }
    response = TEMPLATES.TemplateResponse(request, template, {**base, **context}, status_code=status)
    response.headers.update(page_headers(runtime(request).oidc.origin))
    return response


def error_page(request: Request, status: int, title: str, message: str, *, action: str = "home") -> HTMLResponse:
    """A page that says what went wrong, in the user's language (`title` and `message` are translated)."""
    locale = locale_of(request)
    context = {"title": locale.gettext(title), "message": locale.gettext(message), "action": action}
    return render(request, "error.html", context, status=status)


def sign_in_unavailable(request: Request) -> HTMLResponse:
    """503: Keycloak is away. The session (if any) is kept; trying again later will do."""
    message = N_("The sign-in service (Keycloak) cannot be reached. Please try again in a few minutes.")
    response = error_page(request, 503, N_("Sign-in is not possible right now"), message, action="login")
    response.headers["Retry-After"] = str(SIGN_IN_RETRY_SECONDS)
    return response


def page_headers(keycloak_origin: str) -> dict[str, str]:
    return {
        "Cache-Control": "no-store",  # pages show one user's data
        # Nothing but our own files; no framing (clickjacking); forms go to us, sign-out on to Keycloak.
        "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
        f"form-action 'self' {keycloak_origin}; base-uri 'none'; object-src 'none'",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",  # the sign-in code in a URL never leaves for another site
    }


def navigation(principal: Principal) -> list[tuple[str, str]]:
    """(path, English title) of the pages the user's roles open."""
    pages = [
        ("rounds", "Demand rounds", (Role.CITY_IT, Role.PROCUREMENT_LEAD, Role.NETWORK_ADMIN)),
        ("tenders", "Tenders", (Role.PROCUREMENT_LEAD, Role.NETWORK_ADMIN, Role.VENDOR)),
        ("contracts", "Contracts", (Role.CITY_IT, Role.PROCUREMENT_LEAD, Role.FINANCE, Role.NETWORK_ADMIN)),
        ("mini-competitions", "Mini-competitions", (Role.VENDOR,)),
        ("finance", "Finance", (Role.FINANCE, Role.NETWORK_ADMIN)),
        ("invoices", "E-invoices", (Role.VENDOR, Role.FINANCE, Role.NETWORK_ADMIN)),
        ("admin", "Network", (Role.NETWORK_ADMIN,)),
    ]
    return [(f"{PORTAL}/{path}", title) for path, title, roles in pages if principal.has_any_role(roles)]


class Portal:
    """The signed-in user's view of one request: their API client, their messages, their pages."""

    def __init__(self, request: Request, session: PortalSession, principal: Principal) -> None:
        self.request = request
        self.session = session
        self.principal = principal
        self.locale = locale_of(request)
        self._api = runtime(request).api

    @property
    def city(self) -> str | None:
        return self.principal.city

    def has(self, *roles: Role) -> bool:
        return self.principal.has_any_role(roles)

    def require(self, *roles: Role) -> None:
        if not self.has(*roles):
            raise NoAccess(self.locale.gettext("This page is not part of your role."))

    # --- the API, as this user -------------------------------------------------

    async def call(
        self, method: str, path: str, *, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        if not API_PATH.fullmatch(path):  # ids from the portal's URL must not steer the call elsewhere
            raise NoAccess(self._("This does not exist, or it is not yours to see."))
        all_headers = {
            "Authorization": f"Bearer {self.session.tokens.access_token}",
            "Accept-Language": self.locale.language,  # refusals in the language the pages speak
            **(headers or {}),
        }
        response = await self._api.request(method, f"/api/v1{path}", headers=all_headers, **kwargs)
        if response.status_code == 401:
            raise SessionExpired
        if response.is_error:
            problem = response.json() if "json" in response.headers.get("content-type", "") else {}
            raise ApiError(response.status_code, problem)
        return response

    async def get(self, path: str, **params: Any) -> Any:
        query = {key: value for key, value in params.items() if value is not None}
        return (await self.call("GET", path, params=query)).json()

    async def get_all(self, path: str, **params: Any) -> list[Any]:
        """Every page of a list (lists here are short: rounds, tenders, a city's contracts)."""
        rows: list[Any] = []
        cursor = None
        while True:
            page = await self.get(path, limit=200, cursor=cursor, **params)
            rows.extend(page["data"])
            cursor = page.get("next_cursor")
            if not cursor:
                return rows

    async def get_page(self, path: str, **params: Any) -> Any:
        """Like get, but a refusal (403/404) becomes the portal's "no access" page."""
        try:
            return await self.get(path, **params)
        except ApiError as error:
            if error.status in (403, 404):  # one answer for both, so ids cannot be probed
                raise NoAccess(self._("This does not exist, or it is not yours to see.")) from None
            raise

    async def send(self, method: str, path: str, *, ok: str, **kwargs: Any) -> Any | None:
        """Send a change; flash `ok` or the API's problem. The result, or None when refused."""
        try:
            response = await self.call(method, path, **kwargs)
        except ApiError as error:
            self.refused(error)
            return None
        self.done(ok)
        return response.json() if response.content else {}

    def done(self, message: str) -> None:
        """Say on the next page that a change was made."""
        self.session.flashes.append(Flash("ok", message))

    def refused(self, error: ApiError) -> None:
        """Say on the next page why the API refused."""
        details = [error.detail, *error.details(self.locale)]
        self.session.flashes.append(Flash("error", error.title(self.locale), details))

    def refuse(self, message: str) -> None:
        """A form value the portal itself cannot read (before anything is sent)."""
        self.session.flashes.append(Flash("error", message))

    # --- answers ---------------------------------------------------------------

    async def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        """The page, with the member cities' names (ids are for machines) and where each receives e-invoices."""
        cities = await self.get_all("/cities", include_inactive=True)
        names = {city["id"]: city["name"] for city in cities}
        # A city's default Leitweg-ID (its first billing unit), "" when it has none yet.
        invoice_to = {city["id"]: (city.get("billing_units") or [{}])[0].get("leitweg_id", "") for city in cities}
        context = {"city_names": names, "city": lambda city_id: names.get(city_id, city_id),
                   "leitweg_id": lambda city_id: invoice_to.get(city_id, ""), **context}  # fmt: skip
        return render(self.request, template, context, status=status, portal=self)

    def _(self, text: str, **values: object) -> str:
        return self.locale.gettext(text, **values)


def back_to(path: str) -> RedirectResponse:
    """After a form: show the page again (POST, redirect, GET), so a reload sends nothing twice."""
    return RedirectResponse(f"{PORTAL}{path}", status_code=303)


async def current_portal(request: Request) -> Portal:
    """The signed-in user, with a fresh access token; LoginRequired or SessionExpired otherwise."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        # Back to this page after signing in; a form cannot be sent again, so after one: the start page.
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(here if request.method == "GET" else f"{PORTAL}/")
    state = runtime(request)
    session = state.sessions.get(session_id)
    if session is None:
        raise SessionExpired
    if session.tokens.access_expires_at - REFRESH_MARGIN_SECONDS < time.time():
        try:
            session.tokens = await state.oidc.refresh(session.tokens)
        except KeycloakUnreachable:
            # Keycloak is away, perhaps for a moment: keep the session, renew it on a later request,
            # and go on with the access token while it is still valid.
            if session.tokens.access_expires_at <= time.time():
                raise SignInUnavailable from None
        except LoginFailed:
            state.sessions.end(session_id)
            raise SessionExpired from None
    try:
        principal = await state.verifier.verify(session.tokens.access_token)
    except Unauthenticated:
        state.sessions.end(session_id)
        raise SessionExpired from None
    return Portal(request, session, principal)


async def form_portal(request: Request) -> Portal:
    """current_portal for a form: the form must carry this session's CSRF token."""
    portal = await current_portal(request)
    form = await request.form()  # Starlette keeps it for the route's Form() parameters
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, portal.session.csrf_token):
        raise CsrfRefused
    return portal


PortalDep = Annotated[Portal, Depends(current_portal)]
FormPortalDep = Annotated[Portal, Depends(form_portal)]


def login_path(next_path: str) -> str:
    return f"{PORTAL}/login?next={quote(next_path, safe='/')}"


def download(response: httpx.Response, filename: str) -> Response:
    """A file from the API (CSV, XLSX), under a name the portal chose, never cached or sniffed."""
    safe_name = re.sub(r"[^\w.-]", "_", filename, flags=re.ASCII)  # nothing that could end the header
    headers = {**page_headers(""), "Content-Disposition": f'attachment; filename="{safe_name}"'}
    return Response(response.content, media_type=response.headers.get("content-type"), headers=headers)


async def passed_on(file: UploadFile) -> dict[str, tuple[str, bytes, str]]:
    """The uploaded file as the API's multipart field, under the name the user's browser gave it."""
    return {"file": (file.filename or "", await file.read(), file.content_type or "application/octet-stream")}


async def api_file(portal: Portal, path: str, version: int | None = None) -> Response:
    """A stored file (a document, an invoice), as the API hands it to this user (the API decides who may read it)."""
    try:
        answer = await portal.call("GET", path, params={"version": version} if version else {})
    except ApiError as error:
        if error.status in (403, 404, 409):
            raise NoAccess(portal._("This does not exist, or it is not yours to see.")) from None
        raise
    headers = {name: answer.headers[name] for name in ("content-disposition", "repr-digest") if name in answer.headers}
    return Response(answer.content, media_type=answer.headers["content-type"], headers=headers)
