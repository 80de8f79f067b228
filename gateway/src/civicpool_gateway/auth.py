"""Who is calling: the bearer token verified locally, as a FastAPI dependency."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from civicpool_common.auth import Principal, Role, TokenVerifier
from civicpool_common.errors import PermissionDenied, Unauthenticated
from civicpool_common.messages import Text
from civicpool_common.reasons import Reason
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from civicpool_gateway.problems import BEARER_CHALLENGE, Problem

_bearer = HTTPBearer(auto_error=False, description="An access token from Keycloak (realm civicpool).")


@dataclass(frozen=True)
class Caller:
    """The verified principal, and the token to forward to the services."""

    principal: Principal
    token: str


def verifier(request: Request) -> TokenVerifier:
    token_verifier: TokenVerifier = request.app.state.verifier
    return token_verifier


async def authenticated(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    if credentials is None:
        raise Problem(
            Reason.UNAUTHENTICATED,
            Text("send an access token: Authorization: Bearer <token>"),
            headers=BEARER_CHALLENGE,
        )
    try:
        principal = await verifier(request).verify(credentials.credentials)
    except Unauthenticated as exc:
        raise Problem(
            Reason.UNAUTHENTICATED,
            exc.message,
            headers={"WWW-Authenticate": 'Bearer realm="civicpool", error="invalid_token"'},
        ) from None
    return Caller(principal, credentials.credentials)


CallerDep = Annotated[Caller, Depends(authenticated)]


def requires(*roles: Role) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency that lets only callers with one of `roles` through (the coarse check)."""

    async def check(caller: CallerDep) -> Caller:
        try:
            caller.principal.require_any_role(*roles)
        except PermissionDenied as denied:
            raise Problem(Reason.FORBIDDEN, denied.message) from None
        return caller

    return check


# A caller who must hold the role (403 otherwise): one alias per role the routers ask for.
AdminDep = Annotated[Caller, Depends(requires(Role.NETWORK_ADMIN))]
LeadDep = Annotated[Caller, Depends(requires(Role.PROCUREMENT_LEAD))]
CityItDep = Annotated[Caller, Depends(requires(Role.CITY_IT))]
FinanceDep = Annotated[Caller, Depends(requires(Role.FINANCE))]
VendorDep = Annotated[Caller, Depends(requires(Role.VENDOR))]
