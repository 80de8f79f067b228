"""Who sees which tender, bid and contract: the visibility rules of the contracts service, in one place.

- Tenders: leads and admins see every tender, drafts included; city IT and
  finance the published tenders their city leads or has a share in (finance
  without a city: all); vendors published tenders and later, without
  estimates, shares or the event log. Anything else is "not found".
- Bids: a vendor reads its own bids, always, and never another vendor's. The
  lead city's leads and admins read the submitted bids once they are opened.
- Contracts: leads and admins all; vendors their own; city users those with a
  quota of their city.
- Shares (of a lot, a contract, a buyer in open data): one rule for every view,
  Principal.sees_city: leads and admins every city's, city users their own
  city's, vendors none.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from civicpool_common.auth import Principal, Role
from civicpool_common.errors import (
    PermissionDenied,
)
from sqlalchemy.ext.asyncio import AsyncSession

from civicpool_contracts import repository
from civicpool_contracts.models import (
    Contract,
    ContractQuota,
    Tender,
)

NETWORK_WIDE = (Role.PROCUREMENT_LEAD, Role.NETWORK_ADMIN)
CITY_READERS = (Role.CITY_IT, Role.FINANCE)


@dataclass(frozen=True)
class TenderScope:
    """Which tenders a caller sees: all, or only published ones, of every city or of one."""

    published_only: bool
    city_id: str | None  # None: every city


def tender_scope(principal: Principal) -> TenderScope:
    if principal.has_any_role(NETWORK_WIDE):
        return TenderScope(published_only=False, city_id=None)
    if principal.has_any_role(CITY_READERS):
        return TenderScope(published_only=True, city_id=own_city(principal) or None)
    principal.require_any_role(Role.VENDOR)
    return TenderScope(published_only=True, city_id=None)


async def may_see_tender(session: AsyncSession, principal: Principal, tender: Tender) -> bool:
    scope = tender_scope(principal)
    if scope.published_only and tender.published_at is None:
        return False
    return scope.city_id is None or await repository.city_takes_part(session, tender, scope.city_id)


def own_city(principal: Principal) -> str:
    principal.require_any_role(*CITY_READERS)
    if principal.city is None:
        if principal.has_any_role([Role.FINANCE]):
            return ""  # network-level finance: every city
        raise PermissionDenied(f"{principal.username} belongs to no city")
    return principal.city


def own_vendor(principal: Principal) -> str:
    """The vendor a vendor user acts for (the token's `vendor` claim)."""
    principal.require_any_role(Role.VENDOR)
    if principal.vendor is None:
        raise PermissionDenied(f"{principal.username} is a vendor user without a vendor id (claim 'vendor')")
    return principal.vendor


def may_see_contract(principal: Principal, contract: Contract, parties: Collection[str]) -> bool:
    """`parties`: the cities with a quota in the contract (for a city user, its own city's is enough)."""
    if principal.has_any_role(NETWORK_WIDE):
        return True
    if principal.has_any_role([Role.VENDOR]):
        return principal.vendor == contract.vendor_id
    city = own_city(principal)
    return not city or city in parties


def visible_quotas(principal: Principal, quotas: list[ContractQuota]) -> list[ContractQuota]:
    """A vendor sees its contract's terms, not how the cities share it; a city its own share (Principal.sees_city)."""
    return [q for q in quotas if principal.sees_city(q.city_id)]


def vendor_only(principal: Principal) -> bool:
    """A vendor's user, not also someone of the network or a city."""
    return principal.has_any_role([Role.VENDOR]) and not principal.has_any_role((*NETWORK_WIDE, *CITY_READERS))


def require_bid_reader(principal: Principal, tender: Tender) -> None:
    if principal.has_any_role([Role.NETWORK_ADMIN]):
        return
    if principal.has_any_role([Role.PROCUREMENT_LEAD]) and principal.city == tender.lead_city_id:
        return
    raise PermissionDenied(f"only the lead city {tender.lead_city_id} and the network's admins read the bids")


def city_in_reach(principal: Principal, city_id: str) -> str:
    """The city whose numbers (allocations, postings, reports) the caller may read: the one asked for if
    allowed, a city user's own city if none was asked; "" for every city. Vendors read none."""
    if principal.has_any_role(NETWORK_WIDE):
        return city_id
    if principal.has_any_role([Role.VENDOR]) and not principal.has_any_role([Role.FINANCE, Role.CITY_IT]):
        raise PermissionDenied("vendors see no city's allocations or money")
    own = own_city(principal)
    if own and city_id not in ("", own):
        raise PermissionDenied(f"{principal.username} may see only the numbers of {own}")
    return own or city_id
