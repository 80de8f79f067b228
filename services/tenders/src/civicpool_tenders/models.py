"""The tenders service's tables. Checks in the database back up the rules in service.py."""

from __future__ import annotations

import datetime as dt

from civicpool_common.database import UtcDateTime, new_metadata
from civicpool_common.notify import NotificationOutbox
from civicpool_common.numbering import counters_table
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


PROCEDURES = "('direct_award', 'restricted_or_negotiated', 'open_national', 'open_eu')"


class Tender(Base):
    __tablename__ = "tenders"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'published', 'bidding_closed', 'evaluated', 'awarded', 'cancelled')", name="status"
        ),
        CheckConstraint("estimated_value_cents >= 0", name="value_not_negative"),
        CheckConstraint(f"procedure IN {PROCEDURES}", name="procedure"),
        CheckConstraint(f"recommended_procedure IN {PROCEDURES}", name="recommended_procedure"),
        CheckConstraint(
            "procedure = recommended_procedure OR procedure_justification <> ''", name="other_procedure_justified"
        ),
        CheckConstraint(
            "weight_price + weight_quality + weight_data_protection IN (0, 100)", name="weights_sum_to_100"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # time-ordered
    # ETT-2026-007: the lead city's tenders of the year (civicpool_common.numbering), given at creation.
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    lead_city_id: Mapped[str] = mapped_column(String(40), index=True)
    round_id: Mapped[str] = mapped_column(String(36), unique=True)  # one tender per round
    participating_city_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16))
    estimated_value_cents: Mapped[int] = mapped_column(BigInteger)
    recommended_procedure: Mapped[str] = mapped_column(String(32))
    recommendation_reason: Mapped[str] = mapped_column(Text)
    procedure: Mapped[str] = mapped_column(String(32))
    procedure_justification: Mapped[str] = mapped_column(Text, default="")
    bids_due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # Until when vendors ask questions; None: 6 days before bids_due_at (deadlines.questions_due).
    questions_due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # Set once, at publication: from then on cities and vendors see the tender, even cancelled.
    published_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    bids_opened_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    bids_opened_by: Mapped[str] = mapped_column(String(255), default="")
    weight_price: Mapped[int] = mapped_column(Integer, default=0)
    weight_quality: Mapped[int] = mapped_column(Integer, default=0)
    weight_data_protection: Mapped[int] = mapped_column(Integer, default=0)
    evaluated_by: Mapped[str] = mapped_column(String(255), default="")
    evaluated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # The standstill of § 134 GWB: on at or above the EU threshold, switchable below it. Set at the award
    # decision: when the information notices went out and the standstill's last day (Berlin); then when the
    # lead confirmed the contracts signed, which makes them active.
    standstill: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    award_decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    standstill_ends_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    contracts_activated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    contracts_activated_by: Mapped[str] = mapped_column(String(255), default="", server_default="")
    # A procedure run on another e-procurement platform and recorded here with its award ("": run here).
    external_platform: Mapped[str] = mapped_column(String(200), default="", server_default="")
    external_notice_number: Mapped[str] = mapped_column(String(100), default="", server_default="")
    external_notice_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class TenderEvent(Base):
    """Who did what to a tender, and when: appended, never changed."""

    __tablename__ = "tender_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(255))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    detail: Mapped[str] = mapped_column(Text, default="")

    @classmethod
    def of(cls, tender: Tender, action: str, actor: str, at: dt.datetime, detail: str = "") -> TenderEvent:
        """The log entry of `action` on the tender, by `actor` at `at`."""
        return cls(tender_id=tender.id, action=action, actor=actor, at=at, detail=detail)


class Lot(Base):
    __tablename__ = "lots"
    __table_args__ = (
        UniqueConstraint("tender_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    estimated_value_cents: Mapped[int] = mapped_column(BigInteger)
    awarded_bid_id: Mapped[str] = mapped_column(String(36), default="")
    award_justification: Mapped[str] = mapped_column(Text, default="")
    # A framework with several vendors: every awarded bid, in the order of the cascade (awarded_bid_id is the first).
    framework_bid_ids: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")

    @property
    def awarded_bids(self) -> list[str]:
        """The awarded bids, best-ranked first: one, or a framework's several."""
        return list(self.framework_bid_ids) or ([self.awarded_bid_id] if self.awarded_bid_id else [])


class LotItem(Base):
    """An item of a lot, copied from the catalog and the closed round when the tender was made."""

    __tablename__ = "lot_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tender_id: Mapped[str] = mapped_column(String(36), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    cpv_code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    reference_price_cents: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)


class LotShare(Base):
    """A city's share of a lot item: the snapshot that later becomes the contract's quota."""

    __tablename__ = "lot_shares"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    city_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tender_id: Mapped[str] = mapped_column(String(36), index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)


class Bid(Base):
    """A vendor's offer for a lot: one per vendor and lot, replaced in place until the deadline."""

    __tablename__ = "bids"
    __table_args__ = (
        UniqueConstraint("lot_id", "vendor_id"),
        CheckConstraint("status IN ('submitted', 'withdrawn')", name="status"),
        CheckConstraint("delivery_days >= 0", name="delivery_days_not_negative"),
        CheckConstraint("hosting_region IN ('', 'DE', 'EU', 'third_country')", name="hosting_region"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), index=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"))
    vendor_id: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(16))
    # [{"item_id", "unit_price_cents", "tiers": [{"min_quantity", "unit_price_cents"}]}], read as a whole
    prices: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    delivery_days: Mapped[int] = mapped_column(Integer)
    hosting_region: Mapped[str] = mapped_column(String(16), default="")  # "": nothing hosted off-site
    dpa_offered: Mapped[bool] = mapped_column(Boolean)
    open_source: Mapped[bool] = mapped_column(Boolean)
    submitted_by: Mapped[str] = mapped_column(String(255))
    submitted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class BidScore(Base):
    """One row of the stored score table; replaced as a whole when the lead evaluates again."""

    __tablename__ = "bid_scores"
    __table_args__ = (
        CheckConstraint("quality_score BETWEEN 0 AND 100", name="quality_range"),
        CheckConstraint("data_protection_score BETWEEN 0 AND 100", name="data_protection_range"),
        CheckConstraint("rank > 0", name="rank_positive"),
    )

    bid_id: Mapped[str] = mapped_column(ForeignKey("bids.id"), primary_key=True)
    tender_id: Mapped[str] = mapped_column(String(36), index=True)
    lot_id: Mapped[str] = mapped_column(String(36))
    vendor_id: Mapped[str] = mapped_column(String(40))
    evaluated_price_cents: Mapped[int] = mapped_column(BigInteger)
    price_score_milli: Mapped[int] = mapped_column(BigInteger)
    quality_score: Mapped[int] = mapped_column(Integer)
    quality_note: Mapped[str] = mapped_column(Text, default="")
    data_protection_score: Mapped[int] = mapped_column(Integer)
    data_protection_proposed: Mapped[int] = mapped_column(Integer)
    data_protection_reason: Mapped[str] = mapped_column(Text, default="")
    total_score_milli: Mapped[int] = mapped_column(BigInteger)
    rank: Mapped[int] = mapped_column(Integer)
    tie_break: Mapped[str] = mapped_column(Text, default="")


class AwardOrder(Base):
    """The outbox of awards: the contracts an award orders from the contracts service.

    Written in the award's own transaction, so an award never stands without its order; the relay
    (relay.py) delivers it until the contracts service confirms, which makes the contracts once
    per tender whatever the number of deliveries.
    """

    __tablename__ = "award_orders"

    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), primary_key=True)
    order: Mapped[str] = mapped_column(Text)  # a CreateAwardContractsRequest in proto JSON, readable in the table
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


class Document(Base):
    """A procurement document of a tender (bid_id "") or of one bid: its title and owner; the files are its
    versions. Nothing is ever deleted."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("tender_id", "bid_id", "title"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # time-ordered
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), index=True)
    bid_id: Mapped[str] = mapped_column(String(36), default="")
    title: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class DocumentVersion(Base):
    """One file of a document, stored in the same transaction as its record: never overwritten."""

    __tablename__ = "document_versions"
    __table_args__ = (
        CheckConstraint("version > 0", name="version_positive"),
        CheckConstraint("size_bytes >= 0", name="size_not_negative"),
    )

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[str] = mapped_column(String(36), index=True)  # with bid_id: the owner's total size
    bid_id: Mapped[str] = mapped_column(String(36), default="")
    file_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(255))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    after_publication: Mapped[bool] = mapped_column(Boolean, default=False)
    # Loaded only when asked for: lists and checks never carry the files.
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class Question(Base):
    """A bidder's question and its answer, or a clarification the lead published unprompted (question "").
    The asker is kept here, and shown to nobody but the lead city and the admins."""

    __tablename__ = "questions"
    __table_args__ = (CheckConstraint("question <> '' OR answer <> ''", name="question_or_clarification"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # time-ordered
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), index=True)
    vendor_id: Mapped[str] = mapped_column(String(40), default="")
    asked_by: Mapped[str] = mapped_column(String(255), default="")
    question: Mapped[str] = mapped_column(Text, default="")
    asked_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[str] = mapped_column(String(255), default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class InformationNotice(Base):
    """The information of § 134 (1) GWB to a bidder not chosen for some lots: who won them, why its own bid was
    not chosen (its rank and score against the winner's), and the first day a contract may be concluded. Sent
    in-system at the award decision; never changed."""

    __tablename__ = "information_notices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), index=True)
    vendor_id: Mapped[str] = mapped_column(String(40))
    # [{"lot_id", "lot_number", "lot_title", "winner_vendor_id", "winner_name", "rank", "bidders",
    #   "total_score_milli", "winner_score_milli", "evaluated_price_cents", "winner_price_cents"}]
    lots: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    earliest_conclusion_on: Mapped[dt.date] = mapped_column(Date)
    sent_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    electronic: Mapped[bool] = mapped_column(Boolean, default=True)


class Complaint(Base):
    """A review application (Nachprüfungsantrag, § 160 GWB) against the award decision: while its outcome is
    open, no contract is concluded (§ 169 (1) GWB). Upheld, the award is revoked."""

    __tablename__ = "complaints"
    __table_args__ = (CheckConstraint("outcome IN ('', 'dismissed', 'upheld')", name="outcome"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # time-ordered
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), index=True)
    received_on: Mapped[dt.date] = mapped_column(Date)
    chamber: Mapped[str] = mapped_column(String(200))  # e.g. Vergabekammer Baden-Württemberg
    reference: Mapped[str] = mapped_column(String(100), default="")  # the chamber's file number
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(255))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    outcome: Mapped[str] = mapped_column(String(16), default="")
    decided_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    outcome_recorded_by: Mapped[str] = mapped_column(String(255), default="")
    outcome_recorded_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


# The last tender number given per lead city prefix and year (civicpool_common.numbering).
ReferenceCounters = counters_table(Base.metadata)


class NotificationOrder(NotificationOutbox, Base):
    """The outbox of e-mail events (civicpool_common.notify): written in the change's own transaction."""

    __tablename__ = "notification_orders"
