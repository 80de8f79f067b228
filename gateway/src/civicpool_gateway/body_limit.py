"""Request bodies over a size limit are refused with a 413 problem, before anything parses them.

Pure ASGI (no BaseHTTPMiddleware on the hot path). A declared Content-Length over
the limit is refused at once; a chunked body is counted as it streams in and,
once over, ends for the app as a disconnect while the client gets the 413. Uploads
have their own, larger limit. (FastAPI's own max_body_size answers in plain text,
not as a problem document.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from civicpool_common.messages import Text
from civicpool_common.reasons import Reason
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civicpool_gateway.problems import Problem


def _too_large(limit: int, detail: Text | None) -> Problem:
    default = Text("the request body is larger than {limit:n} bytes, the most this accepts", limit=limit)
    return Problem(Reason.PAYLOAD_TOO_LARGE, detail or default)


class BodyLimit:
    """`larger`: (path pattern, limit, the refusal's detail or None for the general one) of the uploads."""

    def __init__(self, app: ASGIApp, default_bytes: int, larger: Sequence[tuple[str, int, Text | None]] = ()) -> None:
        self.app = app
        self.default_bytes = default_bytes
        self.larger = [(re.compile(pattern), limit, detail) for pattern, limit, detail in larger]

    def limit_for(self, path: str) -> tuple[int, Text | None]:
        matches = ((limit, detail) for pattern, limit, detail in self.larger if pattern.fullmatch(path))
        return next(matches, (self.default_bytes, None))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, detail = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit, detail).response(Request(scope))(scope, receive, send)
            return
        received = 0
        over = started = False

        async def counting_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    return {"type": "http.disconnect"}  # the app stops reading; we answer below
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over and not started:
                return  # whatever the app says about the cut-off body, the answer is 413
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not over or started:
                raise
        if over and not started:
            await _too_large(limit, detail).response(Request(scope))(scope, receive, send)
