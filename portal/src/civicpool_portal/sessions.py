"""Portal sessions: kept on the server, named by a random id in an HTTP-only cookie.

The browser never holds a token. A session lives while it is used (idle
timeout) and at most as long as Keycloak's own session (the refresh token).
Sessions are in the gateway's memory: a restart signs everyone out, and more
than one gateway replica needs sticky sessions (docs/portal.md).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

MAX_SESSIONS = 10_000
PENDING_LOGIN_SECONDS = 600  # the time a user has to finish Keycloak's login form


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    id_token: str
    access_expires_at: float

    @classmethod
    def from_response(cls, body: dict[str, Any], now: float) -> Tokens:
        return cls(
            access_token=str(body["access_token"]),
            refresh_token=str(body.get("refresh_token", "")),
            id_token=str(body.get("id_token", "")),
            access_expires_at=now + float(body.get("expires_in", 60)),
        )


@dataclass
class Flash:
    """A message shown once on the next page: the result of a form."""

    kind: str  # "ok" or "error"
    text: str
    details: list[str] = field(default_factory=list)


@dataclass
class PortalSession:
    id: str
    tokens: Tokens
    csrf_token: str
    last_used: float
    flashes: list[Flash] = field(default_factory=list)

    def take_flashes(self) -> list[Flash]:
        flashes, self.flashes = self.flashes, []
        return flashes


@dataclass(frozen=True)
class PendingLogin:
    """What the callback needs to finish a login that this browser started (PKCE, state, nonce).

    It travels in the browser's login cookie, sealed with the gateway's key, so
    starting logins costs the server nothing (a flood of them crowds out no one).
    """

    state: str
    code_verifier: str
    nonce: str
    next_path: str
    started: float

    @classmethod
    def start(cls, next_path: str) -> PendingLogin:
        return cls(
            secrets.token_urlsafe(32), secrets.token_urlsafe(64), secrets.token_urlsafe(32), next_path, time.time()
        )

    def seal(self, key: bytes) -> str:
        body = base64.urlsafe_b64encode(json.dumps(dataclasses.astuple(self)).encode()).decode()
        return f"{body}.{_signature(key, body)}"

    @classmethod
    def unseal(cls, sealed: str, key: bytes) -> PendingLogin | None:
        """The login sealed with `key` and not older than PENDING_LOGIN_SECONDS; None otherwise."""
        body, _, signature = sealed.partition(".")
        if not hmac.compare_digest(signature, _signature(key, body)):
            return None
        state, verifier, nonce, next_path, started = json.loads(base64.urlsafe_b64decode(body))
        if time.time() - float(started) > PENDING_LOGIN_SECONDS:
            return None
        return cls(str(state), str(verifier), str(nonce), str(next_path), float(started))


def _signature(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


class SessionStore:
    def __init__(self, idle_seconds: float) -> None:
        self._idle_seconds = idle_seconds
        self._sessions: OrderedDict[str, PortalSession] = OrderedDict()

    def create(self, tokens: Tokens) -> PortalSession:
        now = time.time()
        session = PortalSession(secrets.token_urlsafe(32), tokens, secrets.token_urlsafe(32), now)
        self._sessions[session.id] = session
        _bound(self._sessions, MAX_SESSIONS)
        return session

    def get(self, session_id: str) -> PortalSession | None:
        """The live session, touched; None when unknown or idle too long (then it is gone)."""
        session = self._sessions.get(session_id)
        if session is None:
            return None
        now = time.time()
        if now - session.last_used > self._idle_seconds:
            del self._sessions[session_id]
            return None
        session.last_used = now
        self._sessions.move_to_end(session_id)
        return session

    def end(self, session_id: str) -> PortalSession | None:
        return self._sessions.pop(session_id, None)


def _bound(entries: OrderedDict[str, Any], limit: int) -> None:
    while len(entries) > limit:
        entries.popitem(last=False)
