"""Settings of the gateway (CIVICPOOL_GATEWAY_*).

The portal it serves reads its own (CIVICPOOL_GATEWAY_PUBLIC_URL, CIVICPOOL_GATEWAY_PORTAL_*):
civicpool_portal.config.
"""

from __future__ import annotations

from pydantic import Field
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
    # Readiness probes must answer fast, whatever the state of the system.
    readiness_timeout_seconds: float = 1.0
    # How often the services' health is checked for the metric civicpool_dependency_up.
    dependency_interval_seconds: float = Field(10.0, gt=0)
