"""Access tokens from the real Keycloak: users' (cached for a few minutes per user) and services' own."""

from __future__ import annotations

import time

import httpx
from civicpool_cli.demo import DEMO_PASSWORD
from civicpool_cli.stack import Stack
from civicpool_cli.tokens import password_token
from civicpool_common import service_identity

REUSE_SECONDS = 300  # tokens live 15 minutes; fetch a fresh one well before that


class TokenSource:
    def __init__(self, keycloak_url: str) -> None:
        self._keycloak_url = keycloak_url
        self._cache: dict[str, tuple[float, str]] = {}

    def __call__(self, username: str) -> str:
        cached = self._cache.get(username)
        if cached is not None and time.monotonic() - cached[0] < REUSE_SECONDS:
            return cached[1]
        token = password_token(self._keycloak_url, username, DEMO_PASSWORD)
        self._cache[username] = (time.monotonic(), token)
        return token


def service_token(stack: Stack, service: str) -> str:
    """The service's own access token, as the service gets it: client credentials of its Keycloak client."""
    secret = stack.keycloak.service_secrets()[service_identity.secret_variable(service)]
    form = {
        "grant_type": "client_credentials",
        "client_id": service_identity.client_id(service),
        "client_secret": secret,
    }
    response = httpx.post(f"{stack.keycloak.issuer}/protocol/openid-connect/token", data=form, timeout=10)
    response.raise_for_status()
    return str(response.json()["access_token"])
