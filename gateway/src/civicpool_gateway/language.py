"""The reader's language for one request, from its Accept-Language: what its problems are written in and what
every call to a service passes on (civicpool_common.messages). English without the header, as API clients
have always read it; German when the portal or a German browser asks.

Pure ASGI middleware: no per-request task or body copy.
"""

from __future__ import annotations

from civicpool_common import messages
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

API_LANGUAGE = "en"  # without Accept-Language
ACCEPT_LANGUAGE = b"accept-language"


def language_of(request: Request) -> str:
    return messages.negotiate(request.headers.get("accept-language"), API_LANGUAGE)


class RequestLanguage:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked = next((value.decode("latin-1") for name, value in scope["headers"] if name == ACCEPT_LANGUAGE), None)
        reset = messages.current_language.set(messages.negotiate(asked, API_LANGUAGE))
        try:
            await self.app(scope, receive, send)
        finally:
            messages.current_language.reset(reset)
