"""The gateway app: REST under /api/v1, OpenAPI at /openapi.json, problems for every error.

It also hosts the portal (civicpool_portal, an app of its own) at /portal: this module is the
one place where the two meet. The portal gets this app as its API, in-process.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import civicpool_portal
from civicpool_common import observability
from civicpool_common.auth import TokenVerifier
from civicpool_common.catalog_replica import CatalogReplica, following, open_feed
from civicpool_common.grpc_server import periodically
from civicpool_common.reasons import REASONS, Reason, with_slug
from civicpool_common.service_identity import ServiceTokens
from civicpool_common.settings import OidcSettings
from civicpool_portal import PORTAL, PortalSettings
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from civicpool_gateway import problems
from civicpool_gateway.body_limit import BodyLimit
from civicpool_gateway.catalog_reads import CONVERTERS, CatalogReads
from civicpool_gateway.clients import ServiceClients
from civicpool_gateway.config import GatewaySettings
from civicpool_gateway.language import RequestLanguage
from civicpool_gateway.request_telemetry import RequestTelemetry
from civicpool_gateway.routers import (
    budgets,
    catalog,
    competitions,
    contracts,
    documents,
    health,
    imports,
    invoices,
    ledger,
    lines,
    me,
    notifications,
    questions,
    reports,
    rounds,
    standstill,
    tenders,
)

API_PREFIX = "/api/v1"
MAX_JSON_BODY_BYTES = 1024 * 1024
DESCRIPTION = """\
civicpool lets a network of municipalities buy IT together: cities register
demand, the lead city runs a joint tender, finance tracks allocations and costs.

Every call needs a Keycloak access token (`Authorization: Bearer ...`). Errors
are RFC 9457 problem details (`application/problem+json`) with a stable `type`.
Lists answer `{"data": [...], "next_cursor": ...}`. Money is integer euro cents,
times are UTC (ISO 8601).
"""


def create_app(
    settings: GatewaySettings | None = None,
    oidc: OidcSettings | None = None,
    portal_settings: PortalSettings | None = None,
) -> FastAPI:
    settings = settings or GatewaySettings()
    oidc = oidc or OidcSettings()
    portal_settings = portal_settings or PortalSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.verifier = TokenVerifier(oidc)
        app.state.clients = ServiceClients(settings)
        identity = ServiceTokens("gateway", settings.client_secret.get_secret_value(), oidc)
        feed = open_feed(app.state.clients.channels["catalog"].channel, identity)
        app.state.catalog = CatalogReads(CatalogReplica("gateway", feed, CONVERTERS), settings.catalog_wait_seconds)
        metrics = (
            observability.start_metrics_server("gateway", settings.host, settings.metrics_port)
            if settings.metrics_port
            else None
        )

        async def watch_dependencies() -> str:
            await health.check_dependencies(app.state)
            return ""

        try:
            # A mounted app's lifespan is its host's to run: the portal starts after the API's parts, ends before.
            async with portal_app.router.lifespan_context(portal_app):
                gc.freeze()  # as in the services: what start-up loaded is never garbage
                async with (
                    following(app.state.catalog.replica),
                    periodically(watch_dependencies, settings.dependency_interval_seconds, "check dependencies"),
                ):
                    yield
        finally:
            await identity.aclose()
            if metrics is not None:
                metrics.shutdown()
            await app.state.clients.close()
            await app.state.verifier.aclose()

    app = FastAPI(
        title="civicpool API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Operation ids are the route names (list_items, update_city, ...): the SDK's method names.
        generate_unique_id_function=lambda route: route.name,
        openapi_tags=[
            {"name": "catalog", "description": "Items, member cities, vendors, cost-sharing keys"},
            {"name": "demand", "description": "Demand rounds and the cities' demand"},
            {"name": "tenders", "description": "Joint tenders: lots, sealed bids, evaluation, award, OCDS"},
            {"name": "contracts", "description": "Framework contracts, quotas, call-offs and the license pool"},
            {"name": "invoices", "description": "E-invoices (XRechnung, ZUGFeRD): checked, matched, approved"},
            {"name": "ledger", "description": "Balanced, append-only postings and their reversals"},
            {"name": "reports", "description": "Statements, utilisation and renewals for finance (JSON, CSV, XLSX)"},
            {"name": "identity", "description": "The signed-in user"},
            {"name": "health", "description": "Liveness and readiness"},
        ],
    )
    problems.install(app)
    fastapi_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problems.document_problems(fastapi_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(
        BodyLimit,
        default_bytes=MAX_JSON_BODY_BYTES,
        # The portal's uploads go on to the API's import and documents: as large as those may be.
        larger=[
            *(
                (path, imports.MAX_IMPORT_BODY_BYTES, imports.TOO_LARGE)
                for path in (imports.IMPORTS_PATH, civicpool_portal.IMPORT_PATH)
            ),
            *(
                (path, documents.MAX_DOCUMENT_BODY_BYTES, documents.TOO_LARGE)
                for path in (documents.DOCUMENTS_PATH, civicpool_portal.DOCUMENTS_PATH)
            ),
            (invoices.INVOICES_PATH, invoices.MAX_INVOICE_BODY_BYTES, invoices.TOO_LARGE),
        ],
    )
    app.add_middleware(RequestLanguage)
    app.add_middleware(
        RequestTelemetry, router_prefix=API_PREFIX
    )  # added last: outermost, so it sees every answer, refusals too
    # imports before rounds: /rounds/import-template must not match /rounds/{id}
    routers = (me, notifications, catalog, imports, rounds, lines, tenders, documents, questions, standstill,
               contracts, competitions, invoices, ledger, reports, budgets)  # fmt: skip
    for router in (module.router for module in routers):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(health.router)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse(f"{PORTAL}/")

    @app.get("/problems/{slug}", include_in_schema=False)
    async def problem_type(slug: str) -> dict[str, str]:
        reason = with_slug(slug)
        if reason is None:
            raise problems.Problem(Reason.NOT_FOUND, f"no problem type {slug!r}")
        meaning = REASONS[reason]
        return {"type": meaning.type, "title": meaning.title, "description": meaning.description}

    # The portal: an app of its own (its own error pages, no OpenAPI), a client of this one, in-process.
    portal_app = civicpool_portal.create_app(app, portal_settings, oidc)
    app.mount(PORTAL, portal_app)
    return app
