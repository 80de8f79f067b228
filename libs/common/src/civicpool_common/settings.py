"""Settings shared by every process, read from CIVICPOOL_* environment variables."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    LOCAL = "local"
    PRODUCTION = "production"


class RuntimeSettings(BaseSettings):
    """Where this installation keeps its files and whether it is a local demo."""

    model_config = SettingsConfigDict(env_prefix="CIVICPOOL_")

    env: Environment = Environment.LOCAL
    data_dir: Path = Path("data")

    @property
    def is_local(self) -> bool:
        return self.env is Environment.LOCAL


class OidcSettings(BaseSettings):
    """How tokens from Keycloak are verified (by the gateway and every service alike)."""

    model_config = SettingsConfigDict(env_prefix="CIVICPOOL_OIDC_")

    # The public URL of the realm: browsers and scripts use it, and tokens name it as their issuer.
    issuer: str = "http://127.0.0.1:8080/realms/civicpool"
    # The same realm at the address this process reaches it server to server (signing keys, token
    # requests, the portal's code exchange): inside containers http://keycloak:8080/realms/civicpool,
    # while the public URL points at the load balancer. Empty: the issuer.
    internal_issuer: str = ""
    audience: str = "civicpool-gateway"
    # Seconds of clock skew tolerated on exp/iat/nbf.
    leeway_seconds: int = 30
    # An unknown key id triggers a refetch at most this often (a flood of forged
    # tokens must not turn into a flood of requests to Keycloak).
    refetch_cooldown_seconds: float = 10.0

    @property
    def internal_realm(self) -> str:
        """The realm at the address this process reaches it (no trailing slash)."""
        return (self.internal_issuer or self.issuer).rstrip("/")

    @property
    def jwks_url(self) -> str:
        return f"{self.internal_realm}/protocol/openid-connect/certs"

    @property
    def token_url(self) -> str:
        return f"{self.internal_realm}/protocol/openid-connect/token"

    @model_validator(mode="after")
    def _https_outside_local(self) -> OidcSettings:
        if RuntimeSettings().env is Environment.PRODUCTION and not self.issuer.startswith("https://"):
            raise ValueError(f"CIVICPOOL_OIDC_ISSUER must be an https URL in production, not {self.issuer!r}")
        return self


class ServiceSettings(BaseSettings):
    """A gRPC service's own settings; each service sets its env prefix and defaults."""

    host: str = "127.0.0.1"
    port: int
    # SQLite under the data folder when empty; PostgreSQL by URL in production.
    database_url: str = ""
    # Connections to a database server, kept open; calls beyond this many wait for one. A fixed
    # pool: connections opened for a burst and closed after it cost more than the wait.
    database_pool_size: int = Field(10, ge=1, le=200)
    # Apply migrations when the server starts (local use); production runs `migrate`.
    migrate_on_start: bool | None = None
    # How often the health service re-checks the database.
    health_interval_seconds: float = 2.0
    # After SIGTERM: seconds of NOT_SERVING before new calls are refused (so balancers
    # stop sending), then seconds the calls in flight get to finish.
    shutdown_drain_seconds: float = 0.5
    shutdown_grace_seconds: float = 5.0
    # Prometheus metrics on this HTTP port (/metrics); 0: none.
    metrics_port: int = Field(0, ge=0, le=65535)
    # The secret of this service's own Keycloak client (civicpool-<service>, client credentials):
    # its identity when it calls another service's internal methods. Required in production.
    client_secret: SecretStr = SecretStr("")

    @model_validator(mode="after")
    def _client_secret_in_production(self) -> ServiceSettings:
        if RuntimeSettings().env is Environment.PRODUCTION and not self.client_secret.get_secret_value():
            prefix = self.model_config.get("env_prefix", "CIVICPOOL_<SERVICE>_")
            raise ValueError(f"{prefix}CLIENT_SECRET must be set in production: the service's Keycloak client secret")
        return self

    def resolved_database_url(self, service: str) -> str:
        if self.database_url:
            url = self.database_url
        else:
            data_dir = RuntimeSettings().data_dir.resolve()
            url = f"sqlite:///{data_dir / f'{service}.db'}"
        if RuntimeSettings().env is Environment.PRODUCTION and url.startswith("sqlite"):
            raise ValueError(f"{service}: production needs PostgreSQL; set CIVICPOOL_{service.upper()}_DATABASE_URL")
        return url

    @property
    def should_migrate_on_start(self) -> bool:
        if self.migrate_on_start is not None:
            return self.migrate_on_start
        return RuntimeSettings().is_local
