"""Settings of the gateway (CIVICPOOL_GATEWAY_*).

The portal it serves reads its own (CIVICPOOL_GATEWAY_PUBLIC_URL, CIVICPOOL_GATEWAY_PORTAL_*):
civicpool_portal.config.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICPOOL_GATEWAY_")

    host: str = "127.0.0.1"
    port: int = 8000
    # Prometheus metrics on this port (/metrics), apart from the API's: expose it to the monitoring only,
    # never through the Ingress. 0: none.
    metrics_port: int = Field(0, ge=0, le=65535)
    catalog_address: str = "127.0.0.1:50051"
    demand_address: str = "127.0.0.1:50052"
    contracts_address: str = "127.0.0.1:50053"
    tenders_address: str = "127.0.0.1:50054"
    notifications_address: str = "127.0.0.1:50055"
    # Every gRPC call carries this deadline; a slow service costs a caller at most this long.
    grpc_deadline_seconds: float = 3.0
    # Reports and exports (statements, invoice and budget reports, aggregations) read whole periods: their own,
    # longer deadline, so a large report is slow rather than refused, and an interactive call stays bounded.
    report_deadline_seconds: float = Field(30.0, gt=0)
    # Readiness probes must answer fast, whatever the state of the system.
    readiness_timeout_seconds: float = 1.0
    # How often the services' health is checked for the metric civicpool_dependency_up.
    dependency_interval_seconds: float = Field(10.0, gt=0)
    # The gateway's own Keycloak client (civicpool-gateway, client credentials): it reads the catalog's change feed.
    client_secret: SecretStr = SecretStr("")
    # A catalog write answers once this gateway's replica holds it, and a read naming a revision waits until
    # then: at most this long (the feed may be down; then the answer is what the replica holds).
    catalog_wait_seconds: float = Field(2.0, ge=0)
