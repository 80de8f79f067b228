"""The notifications service's tables: events as reported, the mail queue, each user's opt-outs."""

from __future__ import annotations

import datetime as dt

from civicpool_common.database import UtcDateTime, new_metadata
from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


class Event(Base):
    """An event as a service reported it (Notify), once per key; resolved into mails by the queue's worker."""

    __tablename__ = "events"

    event_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    audiences: Mapped[str] = mapped_column(Text)  # JSON: [{"role", "city_id", "vendor_id", "user_ids"}]
    template_values: Mapped[str] = mapped_column(Text)  # JSON: {"placeholder": "value"}
    reported_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


class Mail(Base):
    """One mail to one recipient, rendered in their language; sent once (sent_at), retried until then."""

    __tablename__ = "mails"
    __table_args__ = (UniqueConstraint("event_key", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(60))
    user_id: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8))
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


class Preference(Base):
    """A user's choice for one kind of mail; no row: the kind is on."""

    __tablename__ = "preferences"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
