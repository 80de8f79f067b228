"""Changes of an active contract under § 132 GWB: typed, justified, checked against the de-minimis limits.

The kinds, and what each is worth (net) for the check:
- price_adjustment: a new unit price under the contract's index clause (`index_name` says which index).
  Worth (new - old price) x what is left to call off. Call-offs after it post at the new price; past postings
  never change (a reversal posts back what was posted).
- quantity_increase: more of the item, added to named cities' quotas (each an active member and a party).
  Worth the quantity added x the price.
- term_extension: a later end; the renewal notice date moves by as many days. Worth the contract's value per
  day of its term so far x the days added (the framework runs on at the same rate).
- vendor_succession: another vendor takes the contract over. Worth nothing, but a new contractor is a
  substantial change (§ 132 (1) Nr. 4) unless it follows a review clause or a restructuring, takeover, merger
  or insolvency (§ 132 (2) Nr. 1, 4): it always needs one of those grounds.

De minimis (§ 132 (3)): a change is allowed without a new procedure while the net value of every change so far,
this one included, exceeds neither the EU threshold nor 10 % of the contract's original value. With an index
clause that value is counted at the higher indexed price (§ 132 (3) sentence 3). Beyond it the lead records a
ground of § 132 (2) with a written justification; for additional supplies or unforeseeable circumstances
(Nr. 2, 3) one change may raise the price by at most 50 % of the original value (§ 132 (2) sentence 2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from civicpool_common import references
from civicpool_common.auth import Principal
from civicpool_common.database import utc_now
from civicpool_common.errors import InvalidArgument, VersionConflict
from civicpool_common.lifecycle import StateConflict
from civicpool_common.messages import N_, Euros, Labels, Text
from civicpool_common.references import Kind, Reference
from civicpool_common.timestamps import network_today
from civicpool_common.vocabulary import ChangeKind, ContractStatus, LegalGround
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_contracts import holdings, idempotency, repository, rules
from civicpool_contracts.access import require_lead, require_parties, visible_contract, visible_quotas
from civicpool_contracts.clients import UsageCatalog
from civicpool_contracts.models import Contract, ContractChange, ContractQuota

KINDS = tuple(kind.value for kind in ChangeKind)
GROUNDS = tuple(ground.value for ground in LegalGround)
SUCCESSION_GROUNDS = (LegalGround.REVIEW_CLAUSE, LegalGround.SUCCESSION)
CAPPED_GROUNDS = (LegalGround.ADDITIONAL_SUPPLIES, LegalGround.UNFORESEEABLE)  # at most 50 % of the original value
MIN_JUSTIFICATION = 20  # characters: a written justification, not a word
MAX_CHANGES = 200  # per contract: more is a new procedure by any measure

_BEYOND_DE_MINIMIS = N_(
    "together with the earlier changes this comes to {total} net, beyond the de-minimis limit of {limit} (the lower of the EU threshold, {threshold}, and 10 % of the original value, {reference}; § 132 (3) GWB): record a ground of § 132 (2) GWB with its justification, or award it in a new procedure"  # noqa: E501
)
_OVER_HALF = N_(
    "this change raises the value by {value}, more than half the original value ({limit}); § 132 (2) sentence 2 GWB allows at most 50 % per change on this ground"  # noqa: E501
)
_NEW_VENDOR = N_(
    "a new vendor is a substantial change (§ 132 (1) Nr. 4 GWB): it needs the ground succession (restructuring, takeover, merger, insolvency) or review_clause (§ 132 (2) Nr. 1, 4 GWB)"  # noqa: E501
)
_FRAMEWORK_QUANTITY = N_(
    "contract {contract} is one vendor's part of a framework with several vendors, whose maximum and quotas hold for all of them: its quantity is not raised for one vendor"  # noqa: E501
)
_NOT_ACTIVE = N_("contract {contract} is {status}; only an active contract is changed (§ 132 GWB)")


@dataclass(frozen=True)
class Terms:
    """What a change may move: a contract's terms at one version."""

    unit_price_cents: int
    ceiling_quantity: int
    starts_on: dt.date
    ends_on: dt.date
    vendor_id: str

    @property
    def value_cents(self) -> int:
        return self.unit_price_cents * self.ceiling_quantity

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1  # both days included


@dataclass(frozen=True)
class ChangeRequest:
    kind: str
    justification: str
    legal_ground: str = ""
    unit_price_cents: int = 0  # price_adjustment
    index_name: str = ""  # price_adjustment
    quota_additions: Mapping[str, int] = field(default_factory=dict)  # quantity_increase: city -> added
    ends_on: dt.date | None = None  # term_extension
    vendor_id: str = ""  # vendor_succession


@dataclass(frozen=True)
class Assessment:
    """The de-minimis numbers of a change (§ 132 (3) GWB), net cents."""

    value_change_cents: int
    cumulative_change_cents: int
    reference_value_cents: int
    de_minimis_limit_cents: int

    @property
    def within_de_minimis(self) -> bool:
        return self.cumulative_change_cents <= self.de_minimis_limit_cents


@dataclass(frozen=True)
class History:
    """A contract's terms as awarded and every change since, oldest first."""

    contract: Contract
    original: Terms
    changes: list[ContractChange]
    eu_threshold_cents: int

    @property
    def current(self) -> Terms:
        return _terms(self.contract)

    def assess(self, after: Terms, kind: str, called_off: int) -> Assessment:
        """What a change to `after` is worth, with every change before it (pure)."""
        current = self.current
        left = current.ceiling_quantity - called_off
        value = {
            "price_adjustment": (after.unit_price_cents - current.unit_price_cents) * left,
            "quantity_increase": (after.ceiling_quantity - current.ceiling_quantity) * current.unit_price_cents,
            "term_extension": current.value_cents * (after.ends_on - current.ends_on).days // current.days,
            "vendor_succession": 0,
        }[kind]  # fmt: skip
        indexed = [after.unit_price_cents] if kind == "price_adjustment" else []
        return self._assessment(value, indexed)

    def summary(self) -> Assessment:
        """The changes so far against the limits (value_change_cents 0: no change is asked)."""
        return self._assessment(0, [])

    def _assessment(self, value: int, more_prices: list[int]) -> Assessment:
        indexed = [c.unit_price_cents_after for c in self.changes if c.kind == "price_adjustment"] + more_prices
        reference = self.original.ceiling_quantity * max([self.original.unit_price_cents, *indexed])
        cumulative = sum(c.value_change_cents for c in self.changes) + value
        return Assessment(value, cumulative, reference, min(self.eu_threshold_cents, reference // 10))


class ChangeService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], catalog: UsageCatalog, eu_threshold_cents: int
    ) -> None:
        self._sessions = sessions
        self._catalog = catalog
        self._eu_threshold_cents = eu_threshold_cents

    async def change(
        self, principal: Principal, contract_id: str, request: ChangeRequest, *, expected_version: int = 0,
        key: str = "",
    ) -> tuple[ContractChange, bool]:  # fmt: skip
        """A change of the contract's terms by a procurement lead of the lead city, once per key; whether it was
        answered from an earlier request with the same key."""
        request = _checked(request)
        async with self._sessions() as session:
            contract, quotas = await visible_contract(session, principal, contract_id)
        require_lead(principal, contract)
        if request.kind == "quantity_increase" and contract.framework_id:
            raise StateConflict(
                Text(_FRAMEWORK_QUANTITY, contract=contract.reference),
                contract.status,
            )
        if request.kind == "quantity_increase":
            cities = sorted(request.quota_additions)
            await references.require_active(self._catalog, references.cities("quota_additions", cities))
            require_parties(contract, {q.city_id for q in quotas}, {f"quota_additions.{c}": c for c in cities})
        if request.kind == "vendor_succession":
            await references.require_active(self._catalog, [Reference("vendor_id", Kind.VENDOR, request.vendor_id)])

        async def perform(session: AsyncSession, operation_id: str) -> ContractChange:
            locked = await session.get(Contract, contract_id, with_for_update=True, populate_existing=True)
            assert locked is not None  # contracts are never deleted
            if expected_version and expected_version != locked.version:
                raise VersionConflict(Text("contract {id}", id=contract_id), expected_version, locked.version)
            _check_active(locked)
            history = await self._history(session, locked)
            if len(history.changes) >= MAX_CHANGES:
                raise StateConflict(
                    Text("contract {contract} has {count} changes already; award what is needed in a new procedure",
                         contract=locked.reference, count=len(history.changes)),
                    "active",
                )  # fmt: skip
            after, assessment = assessed(history, request, locked.called_off)
            change = _record(operation_id, locked, history, after, request, assessment, principal.username)
            session.add(change)
            await self._apply(session, locked, history.current, after, request)
            return change

        operation_id, done, replayed = await idempotency.once(
            self._sessions, principal, key, "contract_change", _fingerprint(contract_id, request), perform
        )
        if done is not None:
            return done, replayed
        async with self._sessions() as session:
            stored = await session.get(ContractChange, operation_id)
        assert stored is not None
        return stored, replayed

    async def history(self, principal: Principal, contract_id: str) -> tuple[History, list[ContractQuota]]:
        """The contract's terms as awarded and every change since, for whoever sees the contract; the quota
        additions show only the cities the caller sees (the quotas it sees are returned with them)."""
        async with self._sessions() as session:
            contract, quotas = await visible_contract(session, principal, contract_id)
            return await self._history(session, contract), visible_quotas(principal, quotas)

    async def _history(self, session: AsyncSession, contract: Contract) -> History:
        changes = await repository.changes_of(session, contract.id)
        original = _terms(contract)
        if changes:  # the terms before the first change
            first = changes[0]
            original = Terms(first.unit_price_cents_before, first.ceiling_quantity_before, contract.starts_on,
                             first.ends_on_before, first.vendor_id_before)  # fmt: skip
        return History(contract, original, changes, self._eu_threshold_cents)

    async def _apply(
        self, session: AsyncSession, contract: Contract, before: Terms, after: Terms, request: ChangeRequest
    ) -> None:
        connection = await session.connection()
        for city_id, added in sorted(request.quota_additions.items()):  # quota rows first: the lock order of usage
            assert await holdings.shift_quota(connection, contract.id, city_id, added)
        contract.unit_price_cents, contract.ceiling_quantity = after.unit_price_cents, after.ceiling_quantity
        contract.ceiling_value_cents = after.value_cents
        contract.renewal_notice_on += after.ends_on - before.ends_on
        contract.ends_on, contract.vendor_id = after.ends_on, after.vendor_id
        await session.flush()  # counts the version up


def assessed(history: History, request: ChangeRequest, called_off: int) -> tuple[Terms, Assessment]:
    """The terms after the change and its de-minimis numbers (pure); refused, saying why, where § 132 GWB does not
    allow it without a new procedure."""
    after = _after(history.current, request)
    assessment = history.assess(after, request.kind, called_off)
    _check_grounds(request, assessment, history.original, history.eu_threshold_cents)
    return after, assessment


def _checked(request: ChangeRequest) -> ChangeRequest:
    """The request's fields, each where its kind needs it and nowhere else."""
    if request.kind not in KINDS:
        raise InvalidArgument.for_field("kind", Text("must be one of {kinds}", kinds=", ".join(KINDS)))
    justification = request.justification.strip()
    if not MIN_JUSTIFICATION <= len(justification) <= rules.MAX_TEXT:
        raise InvalidArgument.for_field(
            "justification",
            Text("say why, in {low} to {high} characters: the file and the vendor read it",
                 low=MIN_JUSTIFICATION, high=rules.MAX_TEXT),
        )  # fmt: skip
    if request.legal_ground and request.legal_ground not in GROUNDS:
        raise InvalidArgument.for_field(
            "legal_ground", Text("must be one of {grounds}, or empty", grounds=", ".join(GROUNDS))
        )
    given = {
        "unit_price_cents": request.unit_price_cents != 0,
        "index_name": bool(request.index_name.strip()),
        "quota_additions": bool(request.quota_additions),
        "ends_on": request.ends_on is not None,
        "vendor_id": bool(request.vendor_id),
    }
    needed = {
        "price_adjustment": ("unit_price_cents", "index_name"),
        "quantity_increase": ("quota_additions",),
        "term_extension": ("ends_on",),
        "vendor_succession": ("vendor_id",),
    }[request.kind]
    for name, present in given.items():
        if present and name not in needed:
            raise InvalidArgument.for_field(
                name, Text("belongs to another kind of change than {kind}", kind=Labels("change", request.kind))
            )
        if not present and name in needed:
            raise InvalidArgument.for_field(
                name, Text("a change of kind {kind} needs it", kind=Labels("change", request.kind))
            )
    if not 0 <= request.unit_price_cents <= 10**11 or len(request.index_name) > 200:
        raise InvalidArgument.for_field(
            "unit_price_cents", Text("must be between 0 and 10^11 cents, the index name at most 200 characters")
        )
    for city_id, added in request.quota_additions.items():
        if not 0 < added <= rules.MAX_QUANTITY:
            raise InvalidArgument.for_field(
                f"quota_additions.{city_id}", Text("must be between 1 and {max:n}", max=rules.MAX_QUANTITY)
            )
    return ChangeRequest(request.kind, justification, request.legal_ground, request.unit_price_cents,
                         request.index_name.strip(), dict(request.quota_additions), request.ends_on,
                         request.vendor_id)  # fmt: skip


def _after(current: Terms, request: ChangeRequest) -> Terms:
    """The terms after the change, refused where it changes nothing or goes back."""
    if request.kind == "price_adjustment":
        if request.unit_price_cents == current.unit_price_cents:
            raise InvalidArgument.for_field("unit_price_cents", Text("is the contract's price already"))
        return Terms(request.unit_price_cents, current.ceiling_quantity, current.starts_on, current.ends_on,
                     current.vendor_id)  # fmt: skip
    if request.kind == "quantity_increase":
        added = sum(request.quota_additions.values())
        return Terms(current.unit_price_cents, current.ceiling_quantity + added, current.starts_on,
                     current.ends_on, current.vendor_id)  # fmt: skip
    if request.kind == "term_extension":
        assert request.ends_on is not None
        if request.ends_on <= current.ends_on:
            raise InvalidArgument.for_field(
                "ends_on", Text("must be after the contract's last day, {day}", day=current.ends_on)
            )
        return Terms(current.unit_price_cents, current.ceiling_quantity, current.starts_on, request.ends_on,
                     current.vendor_id)  # fmt: skip
    if request.vendor_id == current.vendor_id:
        raise InvalidArgument.for_field("vendor_id", Text("is the contract's vendor already"))
    return Terms(current.unit_price_cents, current.ceiling_quantity, current.starts_on, current.ends_on,
                 request.vendor_id)  # fmt: skip


def _check_grounds(request: ChangeRequest, assessment: Assessment, original: Terms, eu_threshold_cents: int) -> None:
    ground = request.legal_ground
    if request.kind == "vendor_succession" and ground not in SUCCESSION_GROUNDS:
        raise InvalidArgument.for_field("legal_ground", Text(_NEW_VENDOR))
    if not assessment.within_de_minimis and not ground:
        raise StateConflict(
            Text(_BEYOND_DE_MINIMIS, total=Euros(assessment.cumulative_change_cents),
                 limit=Euros(assessment.de_minimis_limit_cents), threshold=Euros(eu_threshold_cents),
                 reference=Euros(assessment.reference_value_cents)),
            "active",
        )  # fmt: skip
    if ground in CAPPED_GROUNDS and assessment.value_change_cents > original.value_cents // 2:
        raise StateConflict(
            Text(_OVER_HALF, value=Euros(assessment.value_change_cents), limit=Euros(original.value_cents // 2)),
            "active",
        )


def _check_active(contract: Contract) -> None:
    status = rules.effective_contract_status(contract.status, contract.ends_on, network_today())
    if status != ContractStatus.ACTIVE:
        raise StateConflict(
            Text(_NOT_ACTIVE, contract=contract.reference, status=Labels("contract", status.value)), status.value
        )


def _record(
    operation_id: str, contract: Contract, history: History, after: Terms, request: ChangeRequest,
    assessment: Assessment, changed_by: str,
) -> ContractChange:  # fmt: skip
    before = history.current
    return ContractChange(
        id=operation_id, contract_id=contract.id, sequence=len(history.changes) + 1, kind=request.kind,
        justification=request.justification, legal_ground=request.legal_ground, index_name=request.index_name,
        quota_additions=dict(sorted(request.quota_additions.items())),
        unit_price_cents_before=before.unit_price_cents, unit_price_cents_after=after.unit_price_cents,
        ceiling_quantity_before=before.ceiling_quantity, ceiling_quantity_after=after.ceiling_quantity,
        ends_on_before=before.ends_on, ends_on_after=after.ends_on, vendor_id_before=before.vendor_id,
        vendor_id_after=after.vendor_id, value_change_cents=assessment.value_change_cents,
        cumulative_change_cents=assessment.cumulative_change_cents,
        reference_value_cents=assessment.reference_value_cents,
        de_minimis_limit_cents=assessment.de_minimis_limit_cents, changed_by=changed_by, changed_at=utc_now(),
    )  # fmt: skip


def _terms(contract: Contract) -> Terms:
    return Terms(contract.unit_price_cents, contract.ceiling_quantity, contract.starts_on, contract.ends_on,
                 contract.vendor_id)  # fmt: skip


def _fingerprint(contract_id: str, request: ChangeRequest) -> dict[str, object]:
    return {"contract_id": contract_id, "kind": request.kind, "justification": request.justification,
            "legal_ground": request.legal_ground, "unit_price_cents": request.unit_price_cents,
            "index_name": request.index_name, "quota_additions": dict(sorted(request.quota_additions.items())),
            "ends_on": request.ends_on.isoformat() if request.ends_on else "",
            "vendor_id": request.vendor_id}  # fmt: skip


def visible_additions(change: ContractChange, quotas: Sequence[ContractQuota]) -> dict[str, int]:
    """The quota additions of the cities whose quotas the caller sees (vendors: none)."""
    seen = {q.city_id for q in quotas}
    return {city: added for city, added in change.quota_additions.items() if city in seen}
