"""Telemetry of every HTTP request: its id (X-Request-Id, in and out), its access log line and its metrics.

Pure ASGI middleware: no per-request task or body copy.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from civicpool_common import observability
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("civicpool.access")
REQUEST_ID_HEADER = observability.REQUEST_ID_HEADER.encode()


class RequestTelemetry:
    def __init__(self, app: ASGIApp, router_prefix: str) -> None:
        self.app = app
        self.router_prefix = router_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = next((value.decode("latin-1") for name, value in scope["headers"] if name == REQUEST_ID_HEADER), None)
        request_id = observability.request_id_from(sent)
        reset = observability.current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500  # unless the app answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # The 500 problem is answered outside (problems.py); it keeps this request's id.
            status = 500
            self._record(scope, status, time.perf_counter() - started)
            raise
        self._record(scope, status, time.perf_counter() - started)
        observability.current_request_id.reset(reset)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = self._route_of(scope)
        # Sealed bids are counted under one label, whatever the method: no counter tells when bids arrive.
        sealed = route.startswith(observability.SEALED_ROUTE_PREFIX)
        label, method = (observability.SEALED_LABEL, "*") if sealed else (route, scope["method"])
        observability.HTTP_REQUESTS.labels(method, label, str(status)).inc()
        observability.HTTP_SECONDS.labels(method, label).observe(elapsed)
        fields = {"method": scope["method"], "route": route, "status": status, "duration_ms": round(elapsed * 1000, 1)}
        log.info("%s %s %s", scope["method"], scope["path"], status, extra=fields)

    def _route_of(self, scope: Scope) -> str:
        """The route's template (/api/v1/rounds/{id}), never the raw path: ids would make metrics unbounded."""
        route: Any = scope.get("route")
        if route is None:
            return "unmatched"
        # In a mounted app (the portal at /portal) a route's path is the app's own: the mounts' paths go before it
        # (root_path, after the server's own root path, which app_root_path keeps).
        mounted = scope["root_path"][len(scope["app_root_path"]) :] if "app_root_path" in scope else ""
        template = mounted + str(route.path)
        # FastAPI keeps an included router's routes without the prefix it was included under.
        if scope["path"].startswith(self.router_prefix) and not template.startswith(self.router_prefix):
            template = self.router_prefix + template
        return template
