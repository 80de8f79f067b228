"""Who receives a mail: users, their addresses and languages, from Keycloak's admin REST API.

The service's own client (civicpool-notifications, client credentials) holds realm-management's
view-users and query-users, nothing more: it reads users, it changes none.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from civicpool_common.errors import Unavailable
from civicpool_common.service_identity import ServiceTokens
from civicpool_common.settings import OidcSettings

PAGE = 200
# How long a user's realm roles are taken as read: resolving one event asks them of every candidate user, and
# the same users come again in every event. A role granted or taken away counts for mails this much later.
ROLES_SECONDS = 30.0


@dataclass(frozen=True)
class Recipient:
    user_id: str
    username: str
    name: str
    address: str
    locale: str


@dataclass(frozen=True)
class AudienceSpec:
    role: str = ""
    city_id: str = ""
    vendor_id: str = ""
    user_ids: tuple[str, ...] = ()


def _attribute(user: dict[str, Any], name: str) -> str:
    values = (user.get("attributes") or {}).get(name) or [""]
    return str(values[0])


def _recipient(user: dict[str, Any]) -> Recipient | None:
    if not user.get("enabled", True) or not user.get("email"):
        return None
    name = " ".join(p for p in (user.get("firstName"), user.get("lastName")) if p) or str(user["username"])
    return Recipient(str(user["id"]), str(user["username"]), name, str(user["email"]), _attribute(user, "locale"))


class KeycloakDirectory:
    def __init__(self, oidc: OidcSettings, identity: ServiceTokens, http: httpx.AsyncClient | None = None) -> None:
        self._admin = oidc.internal_realm.replace("/realms/", "/admin/realms/", 1)
        self._identity = identity
        self._http = http or httpx.AsyncClient(timeout=10.0)
        self._roles: dict[str, tuple[float, frozenset[str]]] = {}  # user id -> (read at, realm roles)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {await self._identity.token()}"}
        try:
            response = await self._http.get(f"{self._admin}{path}", params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise Unavailable(f"Keycloak's admin API did not answer: {exc}") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise Unavailable(f"Keycloak's admin API answered {response.status_code} for {path}")
        return response.json()

    async def recipients(self, audiences: Iterable[AudienceSpec]) -> list[Recipient]:
        """Every enabled user with an address that one of the audiences names, each once."""
        found: dict[str, Recipient] = {}
        for audience in audiences:
            users: list[dict[str, Any]] = []
            if audience.role:
                users += [u for u in await self._candidates(audience) if await self._has_role(u, audience.role)]
            for user_id in audience.user_ids:
                user = await self._get(f"/users/{user_id}")
                if user is not None:
                    users.append(user)
            for user in users:
                recipient = _recipient(user)
                if recipient is not None:
                    found.setdefault(recipient.user_id, recipient)
        return sorted(found.values(), key=lambda r: r.username)

    async def _candidates(self, audience: AudienceSpec) -> list[dict[str, Any]]:
        """The users the audience's city or vendor narrows to (attribute search), or every user."""
        query = f"city:{audience.city_id}" if audience.city_id else f"vendor:{audience.vendor_id}"
        params: dict[str, Any] = {"briefRepresentation": "false"}
        if audience.city_id or audience.vendor_id:
            params["q"] = query
        users: list[dict[str, Any]] = []
        while True:
            page = await self._get("/users", params | {"first": len(users), "max": PAGE})
            users += page or []
            if not page or len(page) < PAGE:
                return [u for u in users if _matches(u, audience)]

    async def _has_role(self, user: dict[str, Any], role: str) -> bool:
        """The user holds the realm role, directly or through a group or composite (view-users suffices here;
        the role's own member list would need view-realm)."""
        user_id = str(user["id"])
        kept = self._roles.get(user_id)
        if kept is not None and time.monotonic() - kept[0] <= ROLES_SECONDS:
            roles = kept[1]
        else:
            mappings = await self._get(f"/users/{user_id}/role-mappings/realm/composite") or []
            roles = frozenset(str(m.get("name")) for m in mappings)
            self._roles[user_id] = (time.monotonic(), roles)
        return role in roles


def _matches(user: dict[str, Any], audience: AudienceSpec) -> bool:
    if audience.city_id and _attribute(user, "city") != audience.city_id:
        return False
    return not (audience.vendor_id and _attribute(user, "vendor") != audience.vendor_id)
