"""The contracts service's tables."""

from __future__ import annotations

import datetime as dt

from civicpool_common.database import UtcDateTime, new_metadata
from sqlalchemy import BigInteger, CheckConstraint, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


class Tender(Base):
    __tablename__ = "tenders"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'published', 'bidding_closed', 'evaluated', 'awarded', 'cancelled')", name="status"
        ),
        CheckConstraint("estimated_value_cents >= 0", name="value_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # time-ordered
    title: Mapped[str] = mapped_column(String(200))
    lead_city_id: Mapped[str] = mapped_column(String(40), index=True)
    round_id: Mapped[str] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(16))
    estimated_value_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
