"""The catalog's tables. Checks in the database back up the rules in rules.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from civicpool_common.database import UtcDateTime, new_metadata
from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship


class Base(DeclarativeBase):
    metadata = new_metadata()


class VersionedRecord:
    """Columns every catalog record has: an active flag, a version, the revision of its last change, timestamps.

    The version is SQLAlchemy's version counter: every UPDATE checks the version
    it read and increments it, so two concurrent edits cannot both win. The
    revision is the catalog's (CatalogRevision) at the record's last write: the
    change feed sends what changed since a reader's revision.
    """

    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class CatalogRevision(Base):
    """The catalog's revision: one row, taken (incremented and locked until commit) by every write, so
    writes commit in the order of their revisions and a reader at revision R has every change up to R."""

    __tablename__ = "catalog_revision"
    __table_args__ = (
        CheckConstraint("id = 1", name="one_row"),
        CheckConstraint("revision >= 0", name="not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)


class Item(VersionedRecord, Base):
    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint("kind IN ('hardware', 'license', 'service')", name="kind"),
        CheckConstraint("reference_price_cents >= 0", name="price_not_negative"),
        CheckConstraint("vat_rate_bps BETWEEN 0 AND 10000", name="vat_rate_range"),
        CheckConstraint(
            "(kind = 'license') = (license_model IS NOT NULL AND license_term_months IS NOT NULL)",
            name="license_fields",
        ),
        CheckConstraint("hosting_region IS NULL OR hosting_region IN ('DE', 'EU', 'third_country')", name="region"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), index=True)
    cpv_code: Mapped[str] = mapped_column(String(10), index=True)
    unit: Mapped[str] = mapped_column(String(32))
    reference_price_cents: Mapped[int] = mapped_column(BigInteger)
    vat_rate_bps: Mapped[int] = mapped_column(Integer)
    license_model: Mapped[str | None] = mapped_column(String(16))
    license_term_months: Mapped[int | None] = mapped_column(Integer)
    hosting_region: Mapped[str | None] = mapped_column(String(16))
    dpa_available: Mapped[bool] = mapped_column(Boolean, default=False)
    open_source: Mapped[bool] = mapped_column(Boolean, default=False)


class City(VersionedRecord, Base):
    __tablename__ = "cities"
    __table_args__ = (
        CheckConstraint("length(ags) = 8", name="ags_length"),
        CheckConstraint("population >= 0", name="population_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    ags: Mapped[str] = mapped_column(String(8), unique=True)
    population: Mapped[int] = mapped_column(BigInteger)
    joined_on: Mapped[dt.date | None] = mapped_column(Date)
    # [{"leitweg_id", "name"}]: where the city receives e-invoices, the first its default (rules.py checks them)
    billing_units: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list, server_default="[]")
    # {"street", "postcode", "town", "email", "phone", "iban", "tax_number", "contact_name"}: how it invoices others
    # (rules.invoicing_violations checks them); {} until given.
    invoicing: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default="{}")


class Vendor(VersionedRecord, Base):
    __tablename__ = "vendors"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    vat_id: Mapped[str | None] = mapped_column(String(16), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")


class CostKey(VersionedRecord, Base):
    __tablename__ = "cost_keys"
    __table_args__ = (CheckConstraint("method IN ('equal', 'population', 'usage', 'fixed')", name="method"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(String(16))
    # Loaded explicitly (selectinload); a forgotten load is an error, not a hidden query.
    shares: Mapped[list[CostShare]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="CostShare.city_id"
    )


class CostShare(Base):
    __tablename__ = "cost_key_shares"
    __table_args__ = (CheckConstraint("basis_points BETWEEN 1 AND 10000", name="basis_points_range"),)

    cost_key_id: Mapped[str] = mapped_column(ForeignKey("cost_keys.id"), primary_key=True)
    city_id: Mapped[str] = mapped_column(ForeignKey("cities.id"), primary_key=True, index=True)
    basis_points: Mapped[int] = mapped_column(Integer)
