"""The catalog's use cases: rules, permissions and transactions.

Every method opens its own transaction. Writes need `network-admin`; reads
need a signed-in caller (checked by the auth interceptor before we get here).
Records are never deleted, only deactivated, because demand, tenders and the
ledger refer to them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from civicpool_common.auth import Principal, Role
from civicpool_common.database import integrity_violation, utc_now, write_transaction
from civicpool_common.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    VersionConflict,
)
from civicpool_common.messages import N_, Text, current_language, rendered
from civicpool_common.money import split_cents
from civicpool_common.paging import MAX_LIMIT, Page, PageWindow
from civicpool_common.reasons import Reason
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from civicpool_catalog import repository, rules
from civicpool_catalog.models import City, CostKey, CostShare, Item, Vendor
from civicpool_catalog.repository import ItemFilter, ItemRow, Record, Repository

log = logging.getLogger("civicpool.catalog")

Validator = Callable[[AsyncSession, Any], Awaitable[list[FieldViolation]]]


Listed = TypeVar("Listed")


@dataclass(frozen=True)
class RecordKind(Generic[Record]):
    """What differs between the four kinds of catalog record."""

    entity: str  # marked N_: the noun a person reads in messages, "item"
    model: type[Record]
    repository: Callable[[AsyncSession], Repository[Record]]
    sort_key: Callable[[Record], str]
    updatable: frozenset[str]
    unique: tuple[str, ...]  # attributes that no two records share
    validate: Validator
    client_chosen_id: bool

    @property
    def noun(self) -> Text:
        return Text(self.entity)

    def named(self, record_id: str) -> Text:
        """The record as messages name it: "item 3f2a..."."""
        return Text("{entity} {id}", entity=self.noun, id=record_id)


async def _validate_item(_session: AsyncSession, item: Item) -> list[FieldViolation]:
    return rules.item_violations(
        sku=item.sku,
        name=item.name,
        description=item.description,
        kind=item.kind,
        cpv_code=item.cpv_code,
        unit=item.unit,
        reference_price_cents=item.reference_price_cents,
        vat_rate_bps=item.vat_rate_bps,
        license_model=item.license_model,
        license_term_months=item.license_term_months,
        hosting_region=item.hosting_region,
    )


async def _validate_city(session: AsyncSession, city: City) -> list[FieldViolation]:
    units = city.billing_units or []  # a city made without any has none yet (the column's default comes on insert)
    violations = rules.city_violations(id=city.id, name=city.name, ags=city.ags, population=city.population,
                                       billing_units=units, invoicing=city.invoicing)  # fmt: skip
    return violations + rules.leitweg_ids_taken(units, await repository.billing_units_of_other_cities(session, city.id))


async def _validate_vendor(_session: AsyncSession, vendor: Vendor) -> list[FieldViolation]:
    return rules.vendor_violations(
        id=vendor.id,
        name=vendor.name,
        vat_id=vendor.vat_id,
        country=vendor.country,
        contact_name=vendor.contact_name,
        contact_email=vendor.contact_email,
        contact_phone=vendor.contact_phone,
    )


async def _validate_cost_key(session: AsyncSession, key: CostKey) -> list[FieldViolation]:
    shares = {share.city_id: share.basis_points for share in key.shares}
    active = await repository.active_city_populations(session, list(shares), lock=True)
    return rules.cost_key_violations(
        id=key.id,
        name=key.name,
        description=key.description,
        method=key.method,
        shares=shares,
        active_city_ids=list(active),
    )


ITEMS = RecordKind(
    N_("item"),
    Item,
    repository.items,
    lambda r: r.sku,
    frozenset(
        {
            "sku",
            "name",
            "description",
            "kind",
            "cpv_code",
            "unit",
            "reference_price_cents",
            "vat_rate_bps",
            "license_model",
            "license_term_months",
            "hosting_region",
            "dpa_available",
            "open_source",
        }
    ),
    ("sku",),
    _validate_item,
    client_chosen_id=False,
)
CITIES = RecordKind(
    N_("city"),
    City,
    repository.cities,
    lambda r: r.id,
    frozenset({"name", "ags", "population", "joined_on", "billing_units", "invoicing"}),
    ("name", "ags"),
    _validate_city,
    client_chosen_id=True,
)
VENDORS = RecordKind(
    N_("vendor"),
    Vendor,
    repository.vendors,
    lambda r: r.id,
    frozenset({"name", "vat_id", "country", "contact_name", "contact_email", "contact_phone"}),
    ("vat_id",),
    _validate_vendor,
    client_chosen_id=True,
)
COST_KEYS = RecordKind(
    N_("cost key"),
    CostKey,
    repository.cost_keys,
    lambda r: r.id,
    frozenset({"name", "description", "method", "shares"}),
    ("name",),
    _validate_cost_key,
    client_chosen_id=True,
)


def require_cost_key_reader(principal: Principal) -> None:
    """How the cities share their costs is their own business: vendors read no cost key and no split."""
    principal.require_any_role(Role.CITY_IT, Role.FINANCE, Role.PROCUREMENT_LEAD, Role.NETWORK_ADMIN)


# Keys that name the cities they charge (fixed shares, usage quantities) rather than splitting among the
# cities asked for: each named city must be among those.
SPLIT_BY_NAMED_CITIES = (rules.CostKeyMethod.FIXED, rules.CostKeyMethod.USAGE)


class CatalogService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    # -- generic operations -------------------------------------------------

    async def create(self, principal: Principal, kind: RecordKind[Record], values: Mapping[str, Any]) -> Record:
        principal.require_any_role(Role.NETWORK_ADMIN)
        now = utc_now()
        fields = dict(values)
        shares = fields.pop("shares", None)
        if not kind.client_chosen_id:
            fields["id"] = str(uuid.uuid4())
        record = kind.model(**fields, active=True, created_at=now, updated_at=now)
        if isinstance(record, CostKey) and shares is not None:
            _replace_shares(record, shares)
        async with write_transaction(self._sessions) as session:
            repo = kind.repository(session)
            await self._check(session, kind, record, creating=True)
            if kind.client_chosen_id and await repo.get(record.id) is not None:
                raise AlreadyExists(
                    Text("{entity} with id {id} already exists", entity=kind.noun, id=repr(record.id)),
                    violations=[FieldViolation("id", Text("already taken"))],
                )
            record.revision = await repository.take_revision(session)
            repo.add(record)
            await self._flush(session, kind)
        return record

    async def get(self, kind: RecordKind[Record], record_id: str) -> Record:
        async with self._sessions() as session:
            return await self._load(kind.repository(session), kind, record_id)

    async def items_batch(self, ids: Sequence[str], skus: Sequence[str]) -> list[ItemRow]:
        """The items with these ids or SKUs (unknown ones are left out), in SKU order, as plain rows.

        Other services ask for hundreds of items at once (prices for an aggregation): plain rows
        cost a fraction of ORM objects, and nothing here is changed.
        """
        for name, values in (("ids", ids), ("skus", skus)):
            if len(values) > MAX_LIMIT:
                raise InvalidArgument.for_field(
                    name,
                    Text("at most {limit} {name} per call, not {count}", limit=MAX_LIMIT, name=name, count=len(values)),
                )
        if not ids and not skus:
            return []
        return await repository.item_rows(self._sessions, [repository.item_named(ids, skus)])

    async def items_page(self, wanted: ItemFilter, limit: int, cursor: str) -> Page[ItemRow]:
        """A page of items as plain rows (ListItems; the other kinds use list_page).

        Listing items is the catalog's hottest read; plain rows cost a fraction of ORM objects.
        """
        window = PageWindow.requested(limit, cursor)
        conditions = repository.item_conditions(wanted)
        rows = await repository.item_rows(self._sessions, conditions, after=window.after, limit=window.fetch)
        return window.close(rows, lambda row: str(row.sku))

    async def list_page(
        self, kind: RecordKind[Record], limit: int, cursor: str, *, include_inactive: bool
    ) -> Page[Record]:
        window = PageWindow.requested(limit, cursor)
        conditions = repository.active_only(kind.model, include_inactive)
        async with self._sessions() as session:
            rows = await kind.repository(session).page(conditions, window.after, window.fetch)
        return window.close(rows, kind.sort_key)

    async def update(
        self,
        principal: Principal,
        kind: RecordKind[Record],
        record_id: str,
        changes: Mapping[str, Any],
        expected_version: int,
    ) -> Record:
        principal.require_any_role(Role.NETWORK_ADMIN)
        if expected_version <= 0:
            raise InvalidArgument.for_field(
                "expected_version", Text("say which version you edited (If-Match), so no one else's change is lost")
            )
        not_updatable = sorted(set(changes) - kind.updatable)
        if not_updatable:
            raise InvalidArgument.for_field(
                "update_mask",
                Text("{entity}: {fields} cannot change", entity=kind.noun, fields=", ".join(not_updatable)),
            )
        async with write_transaction(self._sessions) as session:
            record = await self._load(kind.repository(session), kind, record_id, for_update=True)
            if record.version != expected_version:
                raise VersionConflict(kind.named(record_id), expected_version, record.version)
            for name, value in changes.items():
                if name == "shares" and isinstance(record, CostKey):
                    _replace_shares(record, value)
                else:
                    setattr(record, name, value)
            record.updated_at = utc_now()
            await self._check(session, kind, record, creating=False)
            record.revision = await repository.take_revision(session)
            await self._flush(session, kind, record_id=record_id, expected_version=expected_version)
        return record

    async def set_active(
        self, principal: Principal, kind: RecordKind[Record], record_id: str, active: bool, expected_version: int
    ) -> Record:
        principal.require_any_role(Role.NETWORK_ADMIN)
        async with write_transaction(self._sessions) as session:
            record = await self._load(kind.repository(session), kind, record_id, for_update=True)
            if expected_version and record.version != expected_version:
                raise VersionConflict(kind.named(record_id), expected_version, record.version)
            if record.active == active:
                return record  # already so: nothing changes, the version stays
            if not active and isinstance(record, City):
                keys = await repository.fixed_keys_using_city(session, record.id)
                if keys:
                    raise FailedPrecondition(
                        Text(
                            "city {city} has a share in the fixed cost keys {keys}; change them before deactivating it",
                            city=record.id,
                            keys=", ".join(keys),
                        ),
                        reason=Reason.CITY_IN_COST_KEY,
                    )
            record.active = active
            record.updated_at = utc_now()
            if active:
                try:
                    await self._check(session, kind, record, creating=False)
                except InvalidArgument as invalid:
                    language = current_language.get()
                    reasons = "; ".join(f"{v.field}: {rendered(v.description, language)}" for v in invalid.violations)
                    raise FailedPrecondition(
                        Text(
                            "{entity} cannot be reactivated as it is ({reasons}); change it first",
                            entity=kind.noun,
                            reasons=reasons,
                        ),
                        reason=Reason.STATE_CONFLICT,
                    ) from None
            record.revision = await repository.take_revision(session)
            await self._flush(session, kind, record_id=record_id, expected_version=record.version)
        return record

    async def resolve_ids(
        self, city_ids: Sequence[str], vendor_ids: Sequence[str], item_ids: Sequence[str]
    ) -> tuple[dict[str, bool], dict[str, bool], dict[str, bool]]:
        """Which ids name a city, a vendor, an item (id -> active); unknown ids are left out."""
        for name, values in (("city_ids", city_ids), ("vendor_ids", vendor_ids), ("item_ids", item_ids)):
            if len(values) > MAX_LIMIT:
                raise InvalidArgument.for_field(
                    name, Text("at most {limit} ids per call, not {count}", limit=MAX_LIMIT, count=len(values))
                )
        async with self._sessions() as session:
            return (
                await repository.activity_by_id(session, City, city_ids),
                await repository.activity_by_id(session, Vendor, vendor_ids),
                await repository.activity_by_id(session, Item, item_ids),
            )

    async def invoice_parties(
        self, leitweg_id: str, vat_id: str, item_ids: Sequence[str], city_ids: Sequence[str] = ()
    ) -> tuple[str, str, str, dict[str, int], dict[str, dict[str, str]]]:
        """Whom an e-invoice names: (city, its billing unit's name) by Leitweg-ID, the vendor by VAT id, and the
        items' VAT rates; "" where nothing matches. And the default billing unit of each of `city_ids`."""
        for name, values in (("item_ids", item_ids), ("city_ids", city_ids)):
            if len(values) > MAX_LIMIT:
                raise InvalidArgument.for_field(name, Text("at most {limit} ids per call, not {count}",
                                                           limit=MAX_LIMIT, count=len(values)))  # fmt: skip
        key = rules.leitweg_key(leitweg_id)
        async with self._sessions() as session:
            units = await repository.billing_units_of_other_cities(session, "") if key or city_ids else {}
            owner = next(((city, unit["name"]) for city, their in units.items() for unit in their
                          if rules.leitweg_key(unit["leitweg_id"]) == key), ("", ""))  # fmt: skip
            vat_id = "".join(vat_id.split()).upper()
            vendor_id = await repository.vendor_by_vat_id(session, vat_id) if vat_id else ""
            rates = await repository.vat_rates(session, item_ids) if item_ids else {}
        defaults = {city: units[city][0] for city in city_ids if units.get(city)}
        return owner[0], owner[1], vendor_id, rates, defaults

    # -- cost splitting ------------------------------------------------------

    async def split_cost(
        self, cost_key_id: str, amount_cents: int, usage: Mapping[str, int], city_ids: Sequence[str]
    ) -> dict[str, int]:
        async with self._sessions() as session:
            key = await self._load(COST_KEYS.repository(session), COST_KEYS, cost_key_id)
            if not key.active:
                raise FailedPrecondition(
                    Text("cost key {id} is deactivated", id=cost_key_id), reason=Reason.COST_KEY_INACTIVE
                )
            weights = await self._weights(session, key, usage, city_ids)
        if not weights or not any(weights.values()):
            raise InvalidArgument.for_field(
                "usage" if key.method == rules.CostKeyMethod.USAGE else "city_ids",
                Text("nothing to split by: no city has a positive weight"),
            )
        return split_cents(amount_cents, weights)

    async def _weights(
        self, session: AsyncSession, key: CostKey, usage: Mapping[str, int], city_ids: Sequence[str]
    ) -> dict[str, int]:
        method = rules.CostKeyMethod(key.method)
        charged = [share.city_id for share in key.shares] if method is rules.CostKeyMethod.FIXED else list(usage)
        outside = sorted(set(charged) - set(city_ids)) if city_ids and method in SPLIT_BY_NAMED_CITIES else []
        if outside:
            raise InvalidArgument.for_field(
                "cost_key_id",
                Text(
                    "cost key {id} charges cities that do not share this cost: {outside} (split among {cities} only)",
                    id=key.id,
                    outside=", ".join(outside),
                    cities=", ".join(city_ids),
                ),
            )
        if method is rules.CostKeyMethod.FIXED:
            return {share.city_id: share.basis_points for share in key.shares}
        named = list(usage) if method is rules.CostKeyMethod.USAGE else list(city_ids)
        populations = await repository.active_city_populations(session, named)
        unknown = sorted(set(named) - set(populations))
        if unknown:
            field = "usage" if method is rules.CostKeyMethod.USAGE else "city_ids"
            raise InvalidArgument.for_field(
                field, Text("not active member cities: {cities}", cities=", ".join(unknown))
            )
        if method is rules.CostKeyMethod.EQUAL:
            return dict.fromkeys(populations, 1)
        if method is rules.CostKeyMethod.POPULATION:
            return populations
        if any(quantity < 0 for quantity in usage.values()):
            raise InvalidArgument.for_field("usage", Text("usage quantities must not be negative"))
        return dict(usage)

    # -- helpers ---------------------------------------------------------------

    @staticmethod
    async def _load(
        repo: Repository[Record], kind: RecordKind[Record], record_id: str, *, for_update: bool = False
    ) -> Record:
        record = await repo.get(record_id, for_update=for_update)
        if record is None:
            raise NotFound(Text("no {entity} with id {id}", entity=kind.noun, id=repr(record_id)))
        return record

    @staticmethod
    async def _check(session: AsyncSession, kind: RecordKind[Record], record: Record, *, creating: bool) -> None:
        # No autoflush: the record must not reach the database before it is checked.
        with session.no_autoflush:
            violations = await kind.validate(session, record)
            if violations:
                fields = ", ".join(sorted({v.field for v in violations}))
                raise InvalidArgument(
                    Text("{entity} is not valid ({fields})", entity=kind.noun, fields=fields), violations=violations
                )
            repo = kind.repository(session)
            for attribute in kind.unique:
                value = getattr(record, attribute)
                if value is not None and await repo.taken(
                    getattr(kind.model, attribute), value, except_id=None if creating else record.id
                ):
                    raise AlreadyExists(
                        Text(
                            "another {entity} already has {field} {value}",
                            entity=kind.noun,
                            field=attribute,
                            value=repr(value),
                        ),
                        violations=[FieldViolation(attribute, Text("already taken"))],
                    )

    @staticmethod
    async def _flush(
        session: AsyncSession, kind: RecordKind[Any], *, record_id: str = "", expected_version: int = 0
    ) -> None:
        try:
            await session.flush()
        except StaleDataError:
            # Someone committed between our read and our write.
            raise VersionConflict(kind.named(record_id), expected_version) from None
        except IntegrityError as exc:
            # The checks above normally catch these first; this is the database's last word.
            log.warning("%s write refused by the database: %s", kind.entity, exc.orig)
            violation = integrity_violation(exc)
            if violation == "unique":
                raise AlreadyExists(
                    Text("another {entity} already has one of these unique values", entity=kind.noun)
                ) from None
            if violation == "foreign_key":
                raise FailedPrecondition(
                    Text("{entity} refers to a record that does not exist", entity=kind.noun)
                ) from None
            raise InvalidArgument(
                Text("{entity} breaks a rule of the database ({violation})", entity=kind.noun, violation=violation)
            ) from None


def _replace_shares(key: CostKey, shares: Mapping[str, int]) -> None:
    existing = {share.city_id: share for share in key.shares} if _shares_loaded(key) else {}
    replacement = []
    for city_id, basis_points in shares.items():
        share = existing.get(city_id) or CostShare(city_id=city_id)
        share.basis_points = basis_points
        replacement.append(share)
    key.shares = replacement


def _shares_loaded(key: CostKey) -> bool:
    return "shares" in key.__dict__
