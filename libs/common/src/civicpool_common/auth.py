"""Keycloak access-token verification and the Principal, used by gateway and services alike.

Tokens are verified locally against the realm's signing keys (JWKS), which are
fetched once and cached; an unknown key id (Keycloak rotated its keys) causes
one refetch, rate-limited. Nothing calls Keycloak per request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

import httpx
import jwt

from civicpool_common.errors import PermissionDenied, Unauthenticated
from civicpool_common.messages import Text
from civicpool_common.service_identity import SERVICE_AUDIENCE, SERVICE_ROLE_PREFIX
from civicpool_common.settings import OidcSettings

# Asymmetric algorithms only: an HS256 token "signed" with the public key, or
# alg=none, must never verify.
log = logging.getLogger("civicpool.auth")

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")


class Role(StrEnum):
    """Keycloak realm roles of civicpool."""

    CITY_IT = "city-it"
    PROCUREMENT_LEAD = "procurement-lead"
    FINANCE = "finance"
    NETWORK_ADMIN = "network-admin"
    VENDOR = "vendor"


NETWORK_WIDE = (Role.PROCUREMENT_LEAD, Role.NETWORK_ADMIN)  # see and act for every city
CITY_READERS = (Role.CITY_IT, Role.FINANCE)  # see their own city's records


@dataclass(frozen=True)
class Principal:
    """Who is calling: from a verified access token."""

    user_id: str
    username: str
    roles: frozenset[Role]
    city: str | None = None
    vendor: str | None = None

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Principal:
        realm_access = claims.get("realm_access") or {}
        known = {role.value for role in Role}
        roles = frozenset(Role(r) for r in realm_access.get("roles", ()) if r in known)
        return cls(
            user_id=str(claims["sub"]),
            username=str(claims.get("preferred_username", claims["sub"])),
            roles=roles,
            city=_optional_str(claims.get("city")),
            vendor=_optional_str(claims.get("vendor")),
        )

    @classmethod
    def of_service(cls, service: str) -> Principal:
        """One of our services acting on its own, with no user's token and no user role: only internal methods
        that the service may call accept it (grpc_server.AuthInterceptor)."""
        return cls(user_id=f"service:{service}", username=f"civicpool-{service}", roles=frozenset())

    def has_any_role(self, roles: Iterable[Role]) -> bool:
        return not self.roles.isdisjoint(roles)

    def sees_city(self, city_id: str) -> bool:
        """The one rule for whose numbers a caller sees (a city's share of a lot, its quota of a contract, its
        demand in an aggregate, its buyer entry in open data): procurement leads and network admins every
        city's, city IT and finance their own city's (finance of the network, without a city: every city's),
        vendors no city's."""
        if self.has_any_role(NETWORK_WIDE):
            return True
        if self.has_any_role(CITY_READERS):
            if self.city is None:
                return Role.FINANCE in self.roles
            return city_id == self.city
        return False

    def own_city(self) -> str:
        """The city a city user (IT, finance) acts for; "" for finance of the network, who reads every city."""
        self.require_any_role(*CITY_READERS)
        if self.city is None:
            if self.has_any_role([Role.FINANCE]):
                return ""
            raise PermissionDenied(Text("{user} belongs to no city", user=self.username))
        return self.city

    def own_vendor(self) -> str:
        """The vendor a vendor user acts for (the token's `vendor` claim)."""
        self.require_any_role(Role.VENDOR)
        if self.vendor is None:
            raise PermissionDenied(
                Text("{user} is a vendor user without a vendor id (claim 'vendor')", user=self.username)
            )
        return self.vendor

    def require_any_role(self, *roles: Role) -> None:
        if not self.has_any_role(roles):
            needed = ", ".join(f"'{r.value}'" for r in roles)
            raise PermissionDenied(
                Text("this needs one of the roles {roles}; {user} has none of them", roles=needed, user=self.username)
            )


def _optional_str(value: object) -> str | None:
    if isinstance(value, list):  # multivalued attribute mappers emit lists
        value = value[0] if value else None
    return str(value) if value else None


# A user's token is sent with each of their requests for its whole lifetime; verifying
# its signature once is enough (profiled: verification was ~12 % of a service's time).
VERIFIED_CACHE_SIZE = 4096
Verified = TypeVar("Verified")


class _VerifiedTokens(Generic[Verified]):
    """What verifying a token gave, until the token expires (plus the leeway); least recently used go first."""

    def __init__(self, leeway_seconds: float) -> None:
        self._leeway = leeway_seconds
        self._entries: OrderedDict[str, tuple[Verified, float]] = OrderedDict()  # token -> (result, expiry)

    def get(self, token: str) -> Verified | None:
        entry = self._entries.get(token)
        if entry is None or time.time() >= entry[1] + self._leeway:
            return None
        self._entries.move_to_end(token)
        return entry[0]

    def put(self, token: str, result: Verified, expires_at: float) -> None:
        self._entries[token] = (result, expires_at)
        if len(self._entries) > VERIFIED_CACHE_SIZE:
            self._entries.popitem(last=False)


class TokenVerifier:
    def __init__(self, settings: OidcSettings, http: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self._http = http or httpx.AsyncClient(timeout=5.0)
        self._keys: dict[str, jwt.PyJWK] = {}
        # token -> (principal, expiry as a Unix time); least recently used first
        self._verified: _VerifiedTokens[Principal] = _VerifiedTokens(settings.leeway_seconds)
        self._service_tokens: _VerifiedTokens[frozenset[str]] = _VerifiedTokens(settings.leeway_seconds)
        self._last_fetch = float("-inf")
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def ensure_keys(self) -> bool:
        """True when signing keys are cached or can be fetched now (readiness)."""
        if self._keys:
            return True
        await self._refetch(force=True)
        return bool(self._keys)

    async def verify(self, token: str) -> Principal:
        """The Principal of a valid access token; Unauthenticated otherwise."""
        cached = self._verified.get(token)
        if cached is not None:
            return cached
        principal, expires_at = await self._verify_signed(token)
        self._verified.put(token, principal, expires_at)
        return principal

    async def verify_service(self, token: str) -> frozenset[str]:
        """The services whose role (service-<name>) a valid service token carries; Unauthenticated otherwise.

        Service tokens are for the audience civicpool-services only: a user's token is not one, and a
        service's token is not accepted where a user's is expected (verify() wants another audience).
        """
        cached = self._service_tokens.get(token)
        if cached is not None:
            return cached
        claims = await self.decode(token, SERVICE_AUDIENCE)
        roles = (claims.get("realm_access") or {}).get("roles", ())
        services = frozenset(str(r).removeprefix(SERVICE_ROLE_PREFIX) for r in roles
                             if str(r).startswith(SERVICE_ROLE_PREFIX))  # fmt: skip
        self._service_tokens.put(token, services, float(claims["exp"]))
        return services

    async def _verify_signed(self, token: str) -> tuple[Principal, float]:
        claims = await self.decode(token, self._settings.audience)
        if claims.get("typ", "Bearer") != "Bearer":
            raise Unauthenticated(Text("only access tokens are accepted (not ID or refresh tokens)"))
        return Principal.from_claims(claims), float(claims["exp"])

    async def decode(self, token: str, audience: str) -> dict[str, Any]:
        """The claims of a token signed by the realm for `audience` and still valid; Unauthenticated otherwise.

        Access tokens go through verify(); the portal checks its ID tokens here.
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthenticated(Text("the bearer token is malformed: {cause}", cause=str(exc))) from None
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise Unauthenticated(Text("the bearer token names no signing key (kid)"))
        key = await self._key_for(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[key.algorithm_name] if key.algorithm_name else list(ALLOWED_ALGORITHMS),
                audience=audience,
                issuer=self._settings.issuer,
                leeway=self._settings.leeway_seconds,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated(Text("the access token has expired; sign in again")) from None
        except jwt.InvalidAudienceError:
            wrong = Text("the token is not meant for {audience} (its audience)", audience=audience)
            raise Unauthenticated(wrong) from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated(Text("the access token was issued by another identity provider")) from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated(Text("the access token is invalid: {cause}", cause=str(exc))) from None
        return claims

    async def _key_for(self, kid: str) -> jwt.PyJWK:
        key = self._keys.get(kid)
        if key is None:
            await self._refetch(force=False)
            key = self._keys.get(kid)
        if key is None and not self._keys:
            raise Unauthenticated(Text("the identity provider's signing keys cannot be fetched; try again shortly"))
        if key is None:
            raise Unauthenticated(Text("the access token is signed with an unknown key"))
        return key

    async def _refetch(self, *, force: bool) -> None:
        """Replace the cached keys by the published ones; on any failure keep the old ones."""
        async with self._lock:
            now = time.monotonic()
            if not force and now - self._last_fetch < self._settings.refetch_cooldown_seconds:
                return
            if not force:
                # An unknown key id starts the cooldown, fetched or not: forged ids cannot flood Keycloak.
                # A forced fetch (at start, for readiness) does not, so the first call may try again at once.
                self._last_fetch = now
            try:
                response = await self._http.get(self._settings.jwks_url)
                response.raise_for_status()
                published = response.json().get("keys", [])
            except (httpx.HTTPError, ValueError, AttributeError) as exc:
                log.warning("signing keys not fetched from %s: %s", self._settings.jwks_url, exc)
                return
            keys: dict[str, jwt.PyJWK] = {}
            for jwk in published if isinstance(published, list) else []:
                if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
                    continue  # Keycloak also publishes an encryption key (RSA-OAEP)
                if jwk.get("alg", "RS256") not in ALLOWED_ALGORITHMS or not isinstance(jwk.get("kid"), str):
                    continue
                try:
                    keys[jwk["kid"]] = jwt.PyJWK.from_dict(jwk)
                except jwt.PyJWTError as exc:
                    log.warning("signing key %s skipped: %s", jwk["kid"], exc)
            if keys:
                self._keys = keys
