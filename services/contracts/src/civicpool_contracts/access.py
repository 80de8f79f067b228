"""Who sees which contract and whose numbers: the visibility rules of the contracts service, in one place.

- Contracts: leads and admins all; vendors their own; city users those with a
  quota of their city.
- Quotas: one rule for every view, Principal.sees_city: leads and admins every
  city's, city users their own city's, vendors none.
- Numbers (allocations, postings, reports): city_in_reach.
"""

from __future__ import annotations

from collections.abc import Collection

from civicpool_common.auth import NETWORK_WIDE, Principal, Role
from civicpool_common.errors import (
    PermissionDenied,
)
from civicpool_common.messages import Text

from civicpool_contracts.models import Contract, ContractQuota


def may_see_contract(principal: Principal, contract: Contract, parties: Collection[str]) -> bool:
    """`parties`: the cities with a quota in the contract (for a city user, its own city's is enough)."""
    if principal.has_any_role(NETWORK_WIDE):
        return True
    if principal.has_any_role([Role.VENDOR]):
        return principal.vendor == contract.vendor_id
    city = principal.own_city()
    return not city or city in parties


def visible_quotas(principal: Principal, quotas: list[ContractQuota]) -> list[ContractQuota]:
    """A vendor sees its contract's terms, not how the cities share it; a city its own share (Principal.sees_city)."""
    return [q for q in quotas if principal.sees_city(q.city_id)]


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
