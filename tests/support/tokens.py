"""Access tokens from the real Keycloak, cached for a few minutes per user."""

from __future__ import annotations

import time

from civicpool_cli.demo import DEMO_PASSWORD
from civicpool_cli.tokens import password_token

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
