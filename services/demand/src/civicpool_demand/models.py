"""The demand service's tables."""

from __future__ import annotations

import datetime as dt

from civicpool_common.database import UtcDateTime, new_metadata
from sqlalchemy import CheckConstraint, Integer, String, Text
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

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
