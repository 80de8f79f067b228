"""The portal as an OpenID Connect client of Keycloak: authorization code flow with PKCE (S256)."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from civicpool_common.auth import TokenVerifier
from civicpool_common.errors import Unauthenticated
from civicpool_common.settings import OidcSettings

from civicpool_portal.sessions import PendingLogin, Tokens

# Starting a sign-in first asks Keycloak whether it answers at all; a person waits for this.
PROBE_SECONDS = 3.0


class LoginFailed(Exception):
    """Keycloak refused the code or the refresh token, or answered something we cannot trust."""


class KeycloakUnreachable(LoginFailed):
    """Keycloak did not answer, or failed: nobody can sign in now, though nothing is wrong with this sign-in."""


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcClient:
    """Browsers go to Keycloak's public address; the gateway talks to it at the internal one.

    The portal's own addresses (where Keycloak sends the browser back) come from the configured public
    URL of the gateway, never from a request's Host header, which the client chooses.
    """

    def __init__(self, oidc: OidcSettings, client_id: str, verifier: TokenVerifier, portal_url: str) -> None:
        public = f"{oidc.issuer.rstrip('/')}/protocol/openid-connect"
        parts = urlsplit(oidc.issuer)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.callback_url = f"{portal_url}/callback"
        self.signed_out_url = f"{portal_url}/signed-out"
        self._client_id = client_id
        self._auth_url = f"{public}/auth"
        self._logout_url = f"{public}/logout"
        self._token_url = oidc.token_url
        self._discovery_url = f"{oidc.internal_realm}/.well-known/openid-configuration"
        self._verifier = verifier
        # A person waits for these; Keycloak answers a token request in milliseconds when it is well.
        self._http = httpx.AsyncClient(timeout=5.0)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def reachable(self) -> bool:
        """True when Keycloak answers for the realm now (so that sending a browser there makes sense)."""
        try:
            response = await self._http.get(self._discovery_url, timeout=PROBE_SECONDS)
        except httpx.HTTPError:
            return False
        return response.status_code < 500

    def authorization_url(self, pending: PendingLogin, language: str) -> str:
        query = {
            "client_id": self._client_id,
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": self.callback_url,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": code_challenge(pending.code_verifier),
            "code_challenge_method": "S256",
            "ui_locales": language,
        }
        return f"{self._auth_url}?{urlencode(query)}"

    def logout_url(self, id_token: str) -> str:
        """Keycloak's end-session endpoint: ends the single sign-on session, then sends the browser back."""
        query = {"client_id": self._client_id, "post_logout_redirect_uri": self.signed_out_url}
        if id_token:
            query["id_token_hint"] = id_token
        return f"{self._logout_url}?{urlencode(query)}"

    async def redeem(self, code: str, pending: PendingLogin) -> Tokens:
        body = await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.callback_url,
                "code_verifier": pending.code_verifier,
            }
        )
        await self._check_id_token(body.get("id_token"), pending.nonce)
        return Tokens.from_response(body, time.time())

    async def refresh(self, tokens: Tokens) -> Tokens:
        body = await self._token_request({"grant_type": "refresh_token", "refresh_token": tokens.refresh_token})
        refreshed = Tokens.from_response(body, time.time())
        refreshed.id_token = refreshed.id_token or tokens.id_token
        return refreshed

    async def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        try:
            response = await self._http.post(self._token_url, data={**form, "client_id": self._client_id})
        except httpx.HTTPError as exc:
            raise KeycloakUnreachable(f"Keycloak is not reachable: {exc}") from None
        if response.status_code >= 500:
            raise KeycloakUnreachable(f"Keycloak failed: {response.status_code}")
        if response.status_code != 200:
            raise LoginFailed(f"Keycloak refused: {response.text[:200]}")
        body: dict[str, Any] = response.json()
        return body

    async def _check_id_token(self, id_token: object, nonce: str) -> None:
        """Signed by the realm, for this client, and for this login (the nonce)."""
        if not isinstance(id_token, str):
            raise LoginFailed("Keycloak sent no ID token")
        try:
            claims = await self._verifier.decode(id_token, self._client_id)
        except Unauthenticated as exc:
            raise LoginFailed(f"the ID token is not valid: {exc.message}") from None
        if claims.get("nonce") != nonce:
            raise LoginFailed("the ID token is not for this login")
