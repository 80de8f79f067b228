"""/healthz (the process is up) and /readyz (it can serve: services and keys ready)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from civicpool_gateway.auth import verifier
from civicpool_gateway.clients import ServiceClients
from civicpool_gateway.config import GatewaySettings
from civicpool_gateway.problems import Problem

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the gateway process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: every service SERVING and Keycloak's signing keys known",
    responses={503: {"description": "Not ready; `checks` says what is missing"}},
)
async def readyz(request: Request) -> Any:
    clients: ServiceClients = request.app.state.clients
    settings: GatewaySettings = request.app.state.settings
    timeout = settings.readiness_timeout_seconds
    names = list(clients.services)
    statuses, keys_ok = await asyncio.gather(
        asyncio.gather(*(clients.health(name, timeout) for name in names)),
        asyncio.wait_for(verifier(request).ensure_keys(), timeout),
        return_exceptions=True,
    )
    checks: dict[str, str] = dict(zip(names, statuses, strict=True)) if isinstance(statuses, list) else {}
    checks["keycloak_jwks"] = "ok" if keys_ok is True else "unreachable"
    ready = all(value in ("SERVING", "ok") for value in checks.values()) and len(checks) == len(names) + 1
    if ready:
        return {"status": "ready", "checks": checks}
    not_ready = ", ".join(f"{name} {value}" for name, value in checks.items() if value not in ("SERVING", "ok"))
    raise Problem(503, "service-unavailable", f"not ready: {not_ready}", extra={"checks": checks})
