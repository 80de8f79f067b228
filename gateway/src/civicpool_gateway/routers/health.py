"""/healthz (the process answers), /readyz (this process can serve) and /dependencies (what it relies on).

Kubernetes takes a pod out of its Service while readiness fails. Readiness therefore says only what this
process itself needs to serve: it is up, knows Keycloak's signing keys (fetched once, then kept, so a Keycloak
outage later does not make it unready) and holds a complete replica of the catalog (taken once; while the
catalog's feed is down it serves the last revision it holds, and says so in the detail). A service that is
down is everyone's problem, not this pod's: if readiness followed it, one service outage would take every
gateway pod out and the whole API down, while most of it could still answer (Kubernetes documents the same:
readiness must not depend on shared dependencies). The services' state stays visible at /dependencies and in
the metric civicpool_dependency_up.
"""

from __future__ import annotations

import asyncio
from typing import Any

from civicpool_common import observability
from civicpool_common.reasons import Reason
from fastapi import APIRouter, Request

from civicpool_gateway.catalog_reads import CatalogReads
from civicpool_gateway.clients import ServiceClients
from civicpool_gateway.config import GatewaySettings
from civicpool_gateway.problems import Problem

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the gateway process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _keys(state: Any) -> str:
    settings: GatewaySettings = state.settings
    try:
        known = await asyncio.wait_for(state.verifier.ensure_keys(), settings.readiness_timeout_seconds)
    except TimeoutError:
        known = False
    return "ok" if known else "unreachable"


def _replica(state: Any) -> str:
    """ "ok" once the catalog replica is warm, however the feed is now; "warming" before."""
    reads: CatalogReads = state.catalog
    return "ok" if reads.replica.warm else "warming"


@router.get(
    "/readyz",
    summary="Readiness: this gateway can serve (it knows Keycloak's signing keys and holds the catalog)",
    description="Independent of the services: see /dependencies for theirs. `catalog_replica` tells the "
    "revision held and whether the catalog's feed is open.",
    responses={503: {"description": "Not ready; `checks` says what is missing"}},
)
async def readyz(request: Request) -> Any:
    checks = {"keycloak_jwks": await _keys(request.app.state), "catalog_replica": _replica(request.app.state)}
    replica = request.app.state.catalog.replica.status()
    missing = [name for name, state in checks.items() if state != "ok"]
    if not missing:
        return {"status": "ready", "checks": checks, "catalog_replica": replica}
    raise Problem(
        Reason.SERVICE_UNAVAILABLE,
        f"not ready: {', '.join(missing)} ({', '.join(checks[name] for name in missing)})",
        extra={"checks": checks, "catalog_replica": replica},
    )


async def check_dependencies(state: Any) -> dict[str, str]:
    """Each service's health (SERVING, NOT_SERVING, UNREACHABLE) and Keycloak's keys; set as metrics too.

    Run by /dependencies and, in the background, every few seconds (main.py), so the metric stays current.
    """
    clients: ServiceClients = state.clients
    settings: GatewaySettings = state.settings
    names = list(clients.channels)
    statuses = await asyncio.gather(*(clients.health(name, settings.readiness_timeout_seconds) for name in names))
    reads: CatalogReads = state.catalog
    feed = "ok" if reads.replica.connected else "lost"
    checks = dict(zip(names, statuses, strict=True)) | {"keycloak_jwks": await _keys(state), "catalog_feed": feed}
    for name, health in checks.items():
        observability.DEPENDENCY_UP.labels(name).set(1.0 if health in ("SERVING", "ok") else 0.0)
    return checks


@router.get(
    "/dependencies",
    summary="What the gateway relies on: every service SERVING and Keycloak's signing keys known",
    description="For monitoring and people; not a readiness probe (a service outage must not take every "
    "gateway pod out of rotation).",
    responses={503: {"description": "A dependency is not serving; `checks` names it"}},
)
async def dependencies(request: Request) -> Any:
    checks = await check_dependencies(request.app.state)
    down = ", ".join(f"{name} {state}" for name, state in checks.items() if state not in ("SERVING", "ok"))
    if not down:
        return {"status": "serving", "checks": checks}
    raise Problem(Reason.SERVICE_UNAVAILABLE, f"not serving: {down}", extra={"checks": checks})
