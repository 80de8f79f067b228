"""The demand service's tables. Checks in the database back up the rules in service.py."""

from __future__ import annotations

import datetime as dt

from civicpool_common.database import UtcDateTime, new_metadata
from civicpool_common.notify import NotificationOutbox
from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


class Round(Base):
    __tablename__ = "rounds"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'open', 'closed', 'bundled', 'cancelled')", name="status"),
        CheckConstraint("opens_at < closes_at", name="opens_before_closing"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # time-ordered
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_city_id: Mapped[str] = mapped_column(String(40), index=True)
    opens_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    closes_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(255))  # Keycloak user names: up to 255
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    # Scope: both empty means every catalog item. Read as a whole, never queried.
    scope_item_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    scope_cpv_prefixes: Mapped[list[str]] = mapped_column(JSON, default=list)
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    status_changed_by: Mapped[str] = mapped_column(String(255), default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    tender_id: Mapped[str] = mapped_column(String(36), default="")
    # The member cities when the round opened: told that it opened, reminded before it closes if without lines.
    member_city_ids: Mapped[list[str]] = mapped_column(JSON, default=list)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


LINE_FIELDS = ("quantity", "needed_by", "justification", "priority", "status")


class Line(Base):
    """A city's demand for one item in one round; changed in place, every version kept."""

    __tablename__ = "demand_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("priority IN ('high', 'normal', 'low')", name="priority"),
        CheckConstraint("status IN ('submitted', 'withdrawn')", name="status"),
        Index("ix_demand_lines_city", "round_id", "city_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # time-ordered
    round_id: Mapped[str] = mapped_column(ForeignKey("rounds.id"))
    city_id: Mapped[str] = mapped_column(String(40))
    item_id: Mapped[str] = mapped_column(String(36))
    quantity: Mapped[int] = mapped_column(BigInteger)
    needed_by: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    justification: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12))
    version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class DemandTotal(Base):
    """The submitted quantity and line count of a round's item in one city: what an aggregation reads.

    Written by the database only: triggers on demand_lines (migration 0004) follow every change of a line in
    its transaction. A row that fell to 0 lines stays (readers skip it). A migration that rebuilds demand_lines
    (SQLite's batch mode copies the table) drops its triggers: create them again there.
    """

    __tablename__ = "demand_totals"

    round_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    city_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    line_count: Mapped[int] = mapped_column(Integer)


class LineVersion(Base):
    """A line as it was after one change: the history is the list of these, oldest first."""

    __tablename__ = "demand_line_versions"
    __table_args__ = (CheckConstraint("change IN ('created', 'updated', 'withdrawn')", name="change"),)

    line_id: Mapped[str] = mapped_column(ForeignKey("demand_lines.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    change: Mapped[str] = mapped_column(String(12))
    changed_by: Mapped[str] = mapped_column(String(255))
    changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    quantity: Mapped[int] = mapped_column(BigInteger)
    needed_by: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    justification: Mapped[str] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12))
    import_id: Mapped[str | None] = mapped_column(ForeignKey("demand_imports.id"), nullable=True)


class Import(Base):
    """One accepted spreadsheet import."""

    __tablename__ = "demand_imports"
    __table_args__ = (CheckConstraint("mode IN ('add', 'replace')", name="mode"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    round_id: Mapped[str] = mapped_column(ForeignKey("rounds.id"))
    city_id: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(8))
    file_name: Mapped[str] = mapped_column(String(255))
    content_sha256: Mapped[str] = mapped_column(String(64))
    # round:city:content for mode add, so the same content is added once; NULL for replace,
    # which is idempotent by itself.
    add_once_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    rows: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    withdrawn: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(255))
    imported_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class NotificationOrder(NotificationOutbox, Base):
    """The outbox of e-mail events (civicpool_common.notify): written in the change's own transaction."""

    __tablename__ = "notification_orders"
