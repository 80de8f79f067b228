"""Who sees which tender and bid: the visibility rules of the tenders service, in one place.

- Tenders: leads and admins see every tender, drafts included; city IT and
  finance the published tenders their city leads or has a share in (finance
  without a city: all); vendors published tenders and later, without
  estimates, shares or the event log. Anything else is "not found".
- Bids: a vendor reads its own bids, always, and never another vendor's. The
  lead city's leads and admins read the submitted bids once they are opened.
- Shares (of a lot, a buyer in open data): one rule for every view,
  Principal.sees_city: leads and admins every city's, city users their own
  city's, vendors none.
"""

from __future__ import annotations

from dataclasses import dataclass

from civicpool_common.auth import CITY_READERS, NETWORK_WIDE, Principal, Role
from civicpool_common.errors import NotFound, PermissionDenied, VersionConflict
from civicpool_common.messages import Text
from sqlalchemy.ext.asyncio import AsyncSession

from civicpool_tenders import repository
from civicpool_tenders.clients import Catalog
from civicpool_tenders.models import Tender


@dataclass(frozen=True)
class TenderScope:
    """Which tenders a caller sees: all, or only published ones, of every city or of one."""

    published_only: bool
    city_id: str | None  # None: every city


def tender_scope(principal: Principal) -> TenderScope:
    if principal.has_any_role(NETWORK_WIDE):
        return TenderScope(published_only=False, city_id=None)
    if principal.has_any_role(CITY_READERS):
        return TenderScope(published_only=True, city_id=principal.own_city() or None)
    principal.require_any_role(Role.VENDOR)
    return TenderScope(published_only=True, city_id=None)


async def may_see_tender(session: AsyncSession, principal: Principal, tender: Tender) -> bool:
    scope = tender_scope(principal)
    if scope.published_only and tender.published_at is None:
        return False
    return scope.city_id is None or await repository.city_takes_part(session, tender, scope.city_id)


def vendor_only(principal: Principal) -> bool:
    """A vendor's user, not also someone of the network or a city."""
    return principal.has_any_role([Role.VENDOR]) and not principal.has_any_role((*NETWORK_WIDE, *CITY_READERS))


def require_bid_reader(principal: Principal, tender: Tender) -> None:
    if principal.has_any_role([Role.NETWORK_ADMIN]):
        return
    if principal.has_any_role([Role.PROCUREMENT_LEAD]) and principal.city == tender.lead_city_id:
        return
    raise PermissionDenied(
        Text("only the lead city {city} and the network's admins read the bids", city=tender.lead_city_id)
    )


async def visible_tender(session: AsyncSession, principal: Principal, tender_id: str) -> Tender:
    """The tender, if the caller sees it; NotFound otherwise, the same as for a tender that does not exist."""
    tender = await repository.get_tender(session, tender_id)
    if tender is None or not await may_see_tender(session, principal, tender):
        raise NotFound(Text("tender {id} does not exist", id=tender_id))
    return tender


async def lead_tender(session: AsyncSession, principal: Principal, tender_id: str, expected_version: int = 0) -> Tender:
    """The tender a procurement lead of its lead city changes, locked until commit; at `expected_version`
    when one is named."""
    principal.require_any_role(Role.PROCUREMENT_LEAD)
    tender = await repository.get_tender(session, tender_id, lock="update")
    if tender is None:
        raise NotFound(Text("tender {id} does not exist", id=tender_id))
    if tender.lead_city_id != principal.city:
        raise PermissionDenied(
            Text("only a procurement lead of {city}, the lead city, may change it", city=tender.lead_city_id)
        )
    if expected_version and expected_version != tender.version:
        raise VersionConflict(Text("tender {id}", id=tender_id), expected_version, tender.version)
    return tender


def in_charge(principal: Principal, tender: Tender) -> bool:
    """The lead city's leads and the network's admins: who reads everything of a tender."""
    if principal.has_any_role([Role.NETWORK_ADMIN]):
        return True
    return principal.has_any_role(NETWORK_WIDE) and principal.city == tender.lead_city_id


async def active_vendor(catalog: Catalog, principal: Principal) -> str:
    """The caller's vendor, which must be an active vendor of the catalog (asked before any transaction)."""
    vendor_id = principal.own_vendor()
    vendor = await catalog.vendor(principal, vendor_id)
    if vendor is None or not vendor.active:
        raise PermissionDenied(Text("vendor {vendor} is not an active vendor of the catalog", vendor=repr(vendor_id)))
    return vendor_id
