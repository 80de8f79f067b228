"""Settings of the portal.

The gateway process serves the portal, so its variables keep the gateway's prefix
(CIVICPOOL_GATEWAY_PUBLIC_URL, CIVICPOOL_GATEWAY_PORTAL_*): deployments set what they set before.
"""

from __future__ import annotations

from civicpool_common.settings import Environment, RuntimeSettings
from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class PortalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICPOOL_GATEWAY_")

    # Where browsers reach the portal's host (behind TLS in production). Keycloak sends them back to the
    # portal here: a request's Host header, which the client chooses, is never used for that.
    public_url: str = "http://127.0.0.1:8000"
    # The portal signs in through this public Keycloak client (code flow + PKCE).
    portal_client_id: str = "civicpool-portal"
    # A portal session ends after this long without a request (Keycloak's own idle timeout is 30 min).
    portal_session_idle_seconds: float = 1800.0
    # Session cookies are `Secure`. Browsers accept those on http://127.0.0.1 and localhost too;
    # turn it off only for plain http on another name in a test network.
    portal_secure_cookies: bool = True

    @model_validator(mode="after")
    def _https_in_production(self) -> PortalSettings:
        if RuntimeSettings().env is Environment.PRODUCTION and not self.public_url.startswith("https://"):
            raise ValueError(
                f"CIVICPOOL_GATEWAY_PUBLIC_URL must be an https URL in production, not {self.public_url!r}"
            )
        return self
