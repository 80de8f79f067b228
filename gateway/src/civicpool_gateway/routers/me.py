"""GET /me: who the token says you are."""

from __future__ import annotations

from civicpool_common.auth import Role
from fastapi import APIRouter
from pydantic import BaseModel

from civicpool_gateway.auth import CallerDep

router = APIRouter(tags=["identity"])


class Me(BaseModel):
    user_id: str
    username: str
    roles: list[Role]
    city: str | None
    vendor: str | None


@router.get("/me", summary="Who am I", response_model=Me)
async def me(caller: CallerDep) -> Me:
    principal = caller.principal
    return Me(
        user_id=principal.user_id,
        username=principal.username,
        roles=sorted(principal.roles),
        city=principal.city,
        vendor=principal.vendor,
    )
