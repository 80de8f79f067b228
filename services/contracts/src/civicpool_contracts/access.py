"""Who sees which contract and whose numbers: the visibility rules of the contracts service, in one place.

- Contracts: leads and admins all; vendors their own; city users those with a
  quota of their city.
- Quotas: one rule for every view, Principal.sees_city: leads and admins every
  city's, city users their own city's, vendors none.
- Numbers (allocations, postings, reports): city_in_reach.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TypeVar

from civicpool_common.auth import NETWORK_WIDE, Principal, Role
from civicpool_common.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied
from civicpool_common.messages import Text
from sqlalchemy.ext.asyncio import AsyncSession

from civicpool_contracts import repository
from civicpool_contracts.models import Contract, ContractQuota, FrameworkQuota

Quota = TypeVar("Quota", ContractQuota, FrameworkQuota)


def may_see_contract(principal: Principal, contract: Contract, parties: Collection[str]) -> bool:
    """`parties`: the cities with a quota in the contract (for a city user, its own city's is enough)."""
    if principal.has_any_role(NETWORK_WIDE):
        return True
    if principal.has_any_role([Role.VENDOR]):
        return principal.vendor == contract.vendor_id
    city = principal.own_city()
    return not city or city in parties


async def visible_contract(
    session: AsyncSession, principal: Principal, contract_id: str
) -> tuple[Contract, list[ContractQuota]]:
    """The contract and all its quotas; NotFound, word for word as for a missing one, when the caller may not see
    it (a city without a quota in it, another vendor), whatever the operation."""
    contract = await repository.get_contract(session, contract_id)
    quotas = (await repository.quotas_of(session, [contract_id])).get(contract_id, []) if contract else []
    if contract is None or not may_see_contract(principal, contract, {q.city_id for q in quotas}):
        raise NotFound(Text("contract {id} does not exist", id=contract_id))
    return contract, quotas


def visible_quotas(principal: Principal | None, quotas: Sequence[Quota]) -> list[Quota]:
    """A vendor sees its contract's terms, not how the cities share it; a city its own share (Principal.sees_city).
    None: another service, which sees every share."""
    return [q for q in quotas if principal is None or principal.sees_city(q.city_id)]


def city_in_reach(principal: Principal, city_id: str) -> str:
    """The city whose numbers (allocations, postings, reports) the caller may read: the one asked for if
    allowed, a city user's own city if none was asked; "" for every city. Vendors read none."""
    if principal.has_any_role(NETWORK_WIDE):
        return city_id
    if principal.has_any_role([Role.VENDOR]) and not principal.has_any_role([Role.FINANCE, Role.CITY_IT]):
        raise PermissionDenied(Text("vendors see no city's allocations or money"))
    own = principal.own_city()
    if own and city_id not in ("", own):
        raise PermissionDenied(Text("{user} may see only the numbers of {city}", user=principal.username, city=own))
    return own or city_id


def require_lead(principal: Principal, contract: Contract, *, admins_too: bool = False) -> None:
    if admins_too and principal.has_any_role([Role.NETWORK_ADMIN]):
        return
    principal.require_any_role(Role.PROCUREMENT_LEAD)
    if contract.lead_city_id != principal.city:
        raise PermissionDenied(
            Text("only a procurement lead of {city}, the lead city, may change it", city=contract.lead_city_id)
        )


def require_parties(
    contract: Contract, parties: Collection[str], named: Mapping[str, str], *, joining: str = ""
) -> None:
    """Each city named (field -> city) is a party to the contract: it holds a quota in it (exact ids). `joining`
    is the one city that becomes a party by this very request."""
    outside = [
        FieldViolation(
            field,
            Text(
                "{city} is not a party to contract {contract} ({sku}): it has no quota",
                city=city,
                contract=contract.reference or contract.id,
                sku=contract.sku,
            ),
        )
        for field, city in named.items()
        if city not in parties and city != joining
    ]
    if outside:
        first = outside[0].description
        raise InvalidArgument(
            first if len(outside) == 1 else Text("the cities are not parties to the contract"), violations=outside
        )
