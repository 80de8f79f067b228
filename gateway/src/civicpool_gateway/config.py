"""Settings of the gateway (CIVICPOOL_GATEWAY_*)."""

from __future__ import annotations

from civicpool_common.settings import Environment, RuntimeSettings
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICPOOL_GATEWAY_")

    host: str = "127.0.0.1"
    port: int = 8000
    # Where browsers reach this gateway (behind TLS in production). Keycloak sends them back to the
    # portal here: a request's Host header, which the client chooses, is never used for that.
    public_url: str = "http://127.0.0.1:8000"
    # Prometheus metrics on this port (/metrics), apart from the API's: expose it to the monitoring only,
    # never through the Ingress. 0: none.
    metrics_port: int = Field(0, ge=0, le=65535)
    catalog_address: str = "127.0.0.1:50051"
    demand_address: str = "127.0.0.1:50052"
    contracts_address: str = "127.0.0.1:50053"
    tenders_address: str = "127.0.0.1:50054"
    # Every gRPC call carries this deadline; a slow service costs a caller at most this long.
    grpc_deadline_seconds: float = 3.0
    # Readiness probes must answer fast, whatever the state of the system.
    readiness_timeout_seconds: float = 1.0
    # How often the services' health is checked for the metric civicpool_dependency_up.
    dependency_interval_seconds: float = Field(10.0, gt=0)
    # The portal signs in through this public Keycloak client (code flow + PKCE).
    portal_client_id: str = "civicpool-portal"
    # A portal session ends after this long without a request (Keycloak's own idle timeout is 30 min).
    portal_session_idle_seconds: float = 1800.0
    # Session cookies are `Secure`. Browsers accept those on http://127.0.0.1 and localhost too;
    # turn it off only for plain http on another name in a test network.
    portal_secure_cookies: bool = True

    @model_validator(mode="after")
    def _https_in_production(self) -> GatewaySettings:
        if RuntimeSettings().env is Environment.PRODUCTION and not self.public_url.startswith("https://"):
            raise ValueError(
                f"CIVICPOOL_GATEWAY_PUBLIC_URL must be an https URL in production, not {self.public_url!r}"
            )
        return self
