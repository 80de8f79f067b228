"""Service identity: each service's own Keycloak client, and the methods only one service may call.

- A method marked internal in its proto (option `civicpool.common.v1.internal_caller`, read by
  methods.internal_methods) may be called by that one service only. The caller sends, beside the
  user's token, its own access token from the client-credentials grant of its Keycloak client
  `civicpool-<service>`, in the metadata `x-service-authorization`.
- The called service verifies that token like any other (the realm's signature, its own audience
  `civicpool-services`) and requires the realm role `service-<caller>`. A user token alone,
  another service's token or a forged one is refused, whatever user token comes with it; the
  user stays the actor, and their token is checked as for any call.
"""

from __future__ import annotations

import asyncio
import logging
import time

import httpx

from civicpool_common.errors import Unavailable
from civicpool_common.settings import OidcSettings

log = logging.getLogger("civicpool.identity")

# The gRPC services, each with its own Keycloak client.
SERVICES = ("catalog", "demand", "tenders", "contracts", "notifications")
# Who has a Keycloak client of its own: the services, and the gateway (it reads the catalog's change feed).
IDENTITIES = (*SERVICES, "gateway")
SERVICE_AUDIENCE = "civicpool-services"
SERVICE_TOKEN_METADATA = "x-service-authorization"  # noqa: S105 - a metadata key, not a secret
SERVICE_ROLE_PREFIX = "service-"
# Fetch a new token this long before the old one expires (clock skew, a call in flight).
RENEW_BEFORE_SECONDS = 30.0


def client_id(service: str) -> str:
    """The Keycloak client of a service: civicpool-contracts."""
    return f"civicpool-{service}"


def role(service: str) -> str:
    """The realm role that only the service's own client holds: service-contracts."""
    return SERVICE_ROLE_PREFIX + service


def secret_variable(service: str) -> str:
    """Where the service reads its client secret (and the realm import the same secret)."""
    return f"CIVICPOOL_{service.upper()}_CLIENT_SECRET"


class ServiceTokens:
    """This service's access token (client credentials), fetched when first needed and reused until
    shortly before it expires. Keycloak is asked about once per token lifetime, not per call."""

    def __init__(self, service: str, secret: str, oidc: OidcSettings, http: httpx.AsyncClient | None = None) -> None:
        self.service = service
        self._secret = secret
        self._token_url = oidc.token_url
        self._http = http or httpx.AsyncClient(timeout=5.0)
        self._token = ""
        self._renew_at = 0.0
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def token(self) -> str:
        if self._token and time.monotonic() < self._renew_at:
            return self._token
        async with self._lock:
            if not self._token or time.monotonic() >= self._renew_at:
                self._token, lifetime = await self._fetch()
                self._renew_at = time.monotonic() + max(lifetime - RENEW_BEFORE_SECONDS, lifetime / 2)
        return self._token

    async def _fetch(self) -> tuple[str, float]:
        if not self._secret:
            raise Unavailable(
                f"the {self.service} service has no client secret ({secret_variable(self.service)}), "
                "so it cannot prove who it is to another service"
            )
        form = {"grant_type": "client_credentials", "client_id": client_id(self.service), "client_secret": self._secret}
        try:
            response = await self._http.post(self._token_url, data=form)
        except httpx.HTTPError as exc:
            raise Unavailable(f"Keycloak did not answer the {self.service} service's token request: {exc}") from None
        if response.status_code != 200:
            # A wrong secret or a missing client is a deployment error: say so in the log, plainly.
            log.error("Keycloak refused the token of %s: %s %s", client_id(self.service), response.status_code,
                      response.text[:200])  # fmt: skip
            raise Unavailable(f"Keycloak refused the {self.service} service's own token; see its log")
        body = response.json()
        return str(body["access_token"]), float(body.get("expires_in", 60))
