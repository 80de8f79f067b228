"""The contracts service's tables. Checks in the database back up the rules in service.py."""

from __future__ import annotations

import datetime as dt
from typing import cast

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
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


def table(model: type[Base]) -> Table:
    """A model's table, for plain statements where the ORM's bookkeeping costs more than the SQL."""
    return cast(Table, model.__table__)


STATUSES = "('active', 'expired', 'terminated', 'pending', 'revoked')"


class Contract(Base):
    """A framework contract from an award (made by CreateAwardContracts): one per awarded lot item."""

    __tablename__ = "contracts"
    __table_args__ = (
        # One contract per lot item, award and place in the framework; a revoked award's contracts stay on record
        # beside the next.
        Index(
            "uq_contracts_lot_item_rank_not_revoked",
            "lot_id",
            "item_id",
            "framework_rank",
            unique=True,
            sqlite_where=text("status <> 'revoked'"),
            postgresql_where=text("status <> 'revoked'"),
        ),
        UniqueConstraint("reference"),
        CheckConstraint(f"status IN {STATUSES}", name="status"),
        CheckConstraint("ceiling_quantity > 0", name="ceiling_quantity_positive"),
        CheckConstraint("unit_price_cents >= 0", name="unit_price_not_negative"),
        CheckConstraint("ceiling_value_cents = ceiling_quantity * unit_price_cents", name="ceiling_value"),
        CheckConstraint("starts_on < ends_on", name="starts_before_end"),
        CheckConstraint("renewal_notice_on BETWEEN starts_on AND ends_on", name="renewal_notice_in_term"),
        CheckConstraint("called_off BETWEEN 0 AND ceiling_quantity", name="called_off_within_ceiling"),
        CheckConstraint("called_off * unit_price_cents <= ceiling_value_cents", name="called_off_within_value"),
        CheckConstraint("in_pool >= 0", name="pool_not_negative"),
        CheckConstraint("framework_rank > 0", name="framework_rank_positive"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reference: Mapped[str] = mapped_column(String(24))  # ETT-2026-003: the lead city's contracts of the year
    # The award it came from, in the tenders service (no foreign keys: another service's records).
    tender_id: Mapped[str] = mapped_column(String(36), index=True)
    lot_id: Mapped[str] = mapped_column(String(36))
    bid_id: Mapped[str] = mapped_column(String(36))
    lead_city_id: Mapped[str] = mapped_column(String(40))
    vendor_id: Mapped[str] = mapped_column(String(40), index=True)
    item_id: Mapped[str] = mapped_column(String(36))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    unit_price_cents: Mapped[int] = mapped_column(BigInteger)
    ceiling_quantity: Mapped[int] = mapped_column(BigInteger)
    ceiling_value_cents: Mapped[int] = mapped_column(BigInteger)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    renewal_notice_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer)
    # Running counters, changed only by guarded UPDATEs (see usage.py), never through the ORM.
    called_off: Mapped[int] = mapped_column(BigInteger, default=0)  # from the vendor, within the ceiling
    in_pool: Mapped[int] = mapped_column(BigInteger, default=0)  # returned seats no city holds
    renewal_round_id: Mapped[str] = mapped_column(String(36), default="")  # the demand round that renews it
    cost_key_id: Mapped[str] = mapped_column(String(40), default="usage")  # how shared costs are split
    # A framework with several vendors: its id and this vendor's place in the cascade (1: called off first).
    # "" and 1: the contract is a framework of its own, with one vendor.
    framework_id: Mapped[str] = mapped_column(String(36), default="", server_default="", index=True)
    framework_rank: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The vendor's scores of the evaluation, which its mini-competition offers keep (only the price is offered anew).
    quality_score: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    data_protection_score: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ContractQuota(Base):
    """A city's share of a contract, copied from the lot snapshot at the award."""

    __tablename__ = "contract_quotas"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("called_off BETWEEN 0 AND quantity", name="called_off_within_quota"),
        CheckConstraint("returned >= 0 AND taken >= 0", name="pool_counts_not_negative"),
        CheckConstraint("called_off - returned + taken >= 0", name="holding_not_negative"),
    )

    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), primary_key=True)
    city_id: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)  # the quota: changed by quota shifts only
    # Running counters (guarded UPDATEs): what the city called off, gave to the pool, took from it.
    called_off: Mapped[int] = mapped_column(BigInteger, default=0)
    returned: Mapped[int] = mapped_column(BigInteger, default=0)
    taken: Mapped[int] = mapped_column(BigInteger, default=0)

    @property
    def holding(self) -> int:
        """Seats or devices the city holds now."""
        return self.called_off - self.returned + self.taken

    @property
    def quota_left(self) -> int:
        return self.quantity - self.called_off


class Framework(Base):
    """A framework agreement with several vendors for one lot item: one contract per vendor, ranked by the evaluation.

    Its estimated and maximum quantity and value are stated with the award (EU Court of Justice C-23/20); the
    maximum holds for all vendors' call-offs together, and each city's quota is held here (FrameworkQuota), not per
    vendor. Running counters, changed only by guarded UPDATEs (holdings.py) in the call-off's own transaction.
    """

    __tablename__ = "frameworks"
    __table_args__ = (
        CheckConstraint("estimated_quantity > 0 AND estimated_quantity <= max_quantity", name="estimate_within_max"),
        CheckConstraint("max_value_cents >= 0", name="max_value_not_negative"),
        CheckConstraint("called_off BETWEEN 0 AND max_quantity", name="called_off_within_max"),
        CheckConstraint("called_off_value_cents BETWEEN 0 AND max_value_cents", name="value_within_max"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # chosen by the award, like its contracts' ids
    tender_id: Mapped[str] = mapped_column(String(36), index=True)
    lot_id: Mapped[str] = mapped_column(String(36))
    item_id: Mapped[str] = mapped_column(String(36))
    vendors: Mapped[int] = mapped_column(Integer)
    estimated_quantity: Mapped[int] = mapped_column(BigInteger)
    max_quantity: Mapped[int] = mapped_column(BigInteger)
    estimated_value_cents: Mapped[int] = mapped_column(BigInteger)
    max_value_cents: Mapped[int] = mapped_column(BigInteger)
    called_off: Mapped[int] = mapped_column(BigInteger, default=0)
    called_off_value_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # as posted, at each call-off's price
    # The evaluation's weights, by which mini-competitions rank offers (§ 21 (5) VgV: the framework's criteria).
    price_weight: Mapped[int] = mapped_column(Integer, default=100, server_default="100")
    quality_weight: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    data_protection_weight: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class FrameworkQuota(Base):
    """A city's quota of a framework with several vendors: what it may call off from all of them together. Each
    vendor's contract carries the same quantity on its own quota row (for its holdings); this row decides."""

    __tablename__ = "framework_quotas"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("called_off BETWEEN 0 AND quantity", name="called_off_within_quota"),
    )

    framework_id: Mapped[str] = mapped_column(ForeignKey("frameworks.id"), primary_key=True)
    city_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    called_off: Mapped[int] = mapped_column(BigInteger, default=0)


class CascadeStep(Base):
    """A framework call-off passed on to the next-ranked vendor because its vendor declined or cannot deliver in
    time (§ 21 (4) Nr. 1 VgV: the cascade the framework states): the reversal and the new call-off, and why."""

    __tablename__ = "cascade_steps"
    __table_args__ = (CheckConstraint("cause IN ('declined', 'not_in_time')", name="cause"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the operation id (the new call-off's)
    call_off_id: Mapped[str] = mapped_column(ForeignKey("ledger_transactions.id"), unique=True)  # passed on once
    reversal_id: Mapped[str] = mapped_column(ForeignKey("ledger_transactions.id"))
    next_call_off_id: Mapped[str] = mapped_column(ForeignKey("ledger_transactions.id"))
    from_contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"))
    to_contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"))
    cause: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class MiniCompetition(Base):
    """A call-off under a framework with several vendors by renewed competition (§ 21 (5) VgV): every vendor of the
    framework is invited to offer for these cities' quantities by a short deadline; the offers stay sealed until
    then, and the best by the framework's weights becomes the call-off at its offered price."""

    __tablename__ = "mini_competitions"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'awarded', 'no_offers')", name="status"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_cents >= 0", name="unit_price_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the operation id
    framework_id: Mapped[str] = mapped_column(ForeignKey("frameworks.id"), index=True)
    quantities: Mapped[dict[str, int]] = mapped_column(JSON)  # city -> quantity
    quantity: Mapped[int] = mapped_column(BigInteger)  # in all: what the vendors offer for
    description: Mapped[str] = mapped_column(Text, default="")
    offers_due_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    # The outcome: the winner's contract, its offered price and the call-offs made at it (one per city).
    winner_contract_id: Mapped[str] = mapped_column(String(36), default="")
    unit_price_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    call_off_ids: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # city -> its call-off's transaction
    awarded_by: Mapped[str] = mapped_column(String(255), default="")
    awarded_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class MiniCompetitionOffer(Base):
    """A vendor's offer in a mini-competition: sealed until the deadline, replaced until then, never above the
    vendor's framework price. Ranked when the competition is decided."""

    __tablename__ = "mini_competition_offers"
    __table_args__ = (CheckConstraint("unit_price_cents > 0", name="unit_price_positive"),)

    competition_id: Mapped[str] = mapped_column(ForeignKey("mini_competitions.id"), primary_key=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), primary_key=True)
    vendor_id: Mapped[str] = mapped_column(String(40))
    unit_price_cents: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, default="")
    submitted_by: Mapped[str] = mapped_column(String(255))
    submitted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    rank: Mapped[int] = mapped_column(Integer, default=0)  # 0 until decided
    price_score_milli: Mapped[int] = mapped_column(Integer, default=0)
    total_score_milli: Mapped[int] = mapped_column(Integer, default=0)


# -- contracts in use: call-offs, the license pool, quota shifts, the ledger ---------------------
#
# Running counters on contracts and contract_quotas make every limit one guarded UPDATE (and a
# CHECK as the last line of defence); the movements and the ledger are append-only records from
# which the counters can always be recomputed.


class Movement(Base):
    """One change of a city's holding of a contract's item. Reversals carry negative quantities."""

    __tablename__ = "movements"
    __table_args__ = (
        CheckConstraint("kind IN ('call_off', 'return', 'take', 'move_out', 'move_in')", name="kind"),
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        Index("ix_movements_contract_city", "contract_id", "city_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operation_id: Mapped[str] = mapped_column(String(36), index=True)  # what one request did
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"))
    city_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(BigInteger)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    # Indexed: a statement reads the movements of its postings (booking.py), which must not scan them all.
    transaction_id: Mapped[str] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class QuotaShift(Base):
    """Unused quota moved from one city to another by the lead: recorded, never edited."""

    __tablename__ = "quota_shifts"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("from_city_id <> to_city_id", name="two_cities"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    from_city_id: Mapped[str] = mapped_column(String(40))
    to_city_id: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text, default="")
    # The receiving city had no quota in the contract: the lead made it a party on purpose, saying why.
    adds_party: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class ContractChange(Base):
    """A change of an active contract under § 132 GWB: its terms before and after, why, and the de-minimis
    numbers as computed then. Appended, never changed: the contract's history is its first terms and these."""

    __tablename__ = "contract_changes"
    __table_args__ = (
        UniqueConstraint("contract_id", "sequence"),
        CheckConstraint(
            "kind IN ('price_adjustment', 'quantity_increase', 'term_extension', 'vendor_succession')", name="kind"
        ),
        CheckConstraint(
            "legal_ground IN ('', 'review_clause', 'additional_supplies', 'unforeseeable', 'succession')",
            name="legal_ground",
        ),
        CheckConstraint("sequence > 0", name="sequence_positive"),
        CheckConstraint("unit_price_cents_after >= 0", name="unit_price_not_negative"),
        CheckConstraint("ceiling_quantity_after >= ceiling_quantity_before", name="quantity_never_shrinks"),
        CheckConstraint("ends_on_after >= ends_on_before", name="term_never_shortens"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the operation id
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)  # the contract's terms are version sequence + 1 after it
    kind: Mapped[str] = mapped_column(String(24))
    justification: Mapped[str] = mapped_column(Text)
    legal_ground: Mapped[str] = mapped_column(String(24), default="")  # "": within the de-minimis limits
    index_name: Mapped[str] = mapped_column(String(200), default="")  # the price index a price adjustment follows
    quota_additions: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # city -> added quantity
    unit_price_cents_before: Mapped[int] = mapped_column(BigInteger)
    unit_price_cents_after: Mapped[int] = mapped_column(BigInteger)
    ceiling_quantity_before: Mapped[int] = mapped_column(BigInteger)
    ceiling_quantity_after: Mapped[int] = mapped_column(BigInteger)
    ends_on_before: Mapped[dt.date] = mapped_column(Date)
    ends_on_after: Mapped[dt.date] = mapped_column(Date)
    vendor_id_before: Mapped[str] = mapped_column(String(40))
    vendor_id_after: Mapped[str] = mapped_column(String(40))
    # The de-minimis check as computed (§ 132 (3) GWB), in net cents.
    value_change_cents: Mapped[int] = mapped_column(BigInteger)
    cumulative_change_cents: Mapped[int] = mapped_column(BigInteger)  # this change and every earlier one
    reference_value_cents: Mapped[int] = mapped_column(BigInteger)  # what the 10 % are of
    de_minimis_limit_cents: Mapped[int] = mapped_column(BigInteger)
    changed_by: Mapped[str] = mapped_column(String(255))
    changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class LedgerTransaction(Base):
    """A balanced posting: its entries sum to zero. Corrections reverse it, nothing changes it."""

    __tablename__ = "ledger_transactions"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('call_off', 'return', 'take', 'move', 'shared_cost', 'reversal', 'invoice', 'credit_note', "
            "'charge')",
            name="kind",
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # time-ordered
    operation_id: Mapped[str] = mapped_column(String(36), index=True)  # the request that posted it
    kind: Mapped[str] = mapped_column(String(16))
    contract_id: Mapped[str | None] = mapped_column(ForeignKey("contracts.id"), nullable=True, index=True)
    memo: Mapped[str] = mapped_column(Text, default="")
    reverses_id: Mapped[str | None] = mapped_column(
        ForeignKey("ledger_transactions.id"), nullable=True, unique=True
    )  # a transaction is reversed at most once
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)


class LedgerEntry(Base):
    """One side of a posting. Accounts: city:<id> (what the city owes: negative), contract:<id>, pool:<id>;
    invoiced:<contract id> (invoiced net, against what was called off), payable:<invoice id> (an approved invoice's
    gross, owed to its vendor); output_vat:<city id> (the VAT a lead city charged its members, owed to its tax
    office)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        # A city's statement reads only its own entries of a period, from this index.
        Index("ix_ledger_entries_account_time", "account", "posted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account: Mapped[str] = mapped_column(String(80))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    posted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())  # the transaction's time, for periods


class ClosedMonth(Base):
    """A month of the network (Europe/Berlin) whose ledger is closed: every account's balance at its end is in
    MonthBalance. Closed once, in order, never reopened (append-only); a correction is a later posting."""

    __tablename__ = "ledger_closed_months"

    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # its first day
    closed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class MonthBalance(Base):
    """An account's balance at the end of a closed month, carried forward: a statement reads it and the entries
    after it, not the account's whole history. Every account with an entry before the month's end has one."""

    __tablename__ = "ledger_month_balances"

    account: Mapped[str] = mapped_column(String(80), primary_key=True)
    month: Mapped[dt.date] = mapped_column(ForeignKey("ledger_closed_months.month"), primary_key=True)
    balance_cents: Mapped[int] = mapped_column(BigInteger)


class CallOffNumber(Base):
    """A call-off's readable number (BRU-2026-012: the calling city's call-offs of the year), one per posting of
    kind call_off or take. Kept beside the append-only ledger, which never changes for it."""

    __tablename__ = "call_offs"

    transaction_id: Mapped[str] = mapped_column(ForeignKey("ledger_transactions.id"), primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    city_id: Mapped[str] = mapped_column(String(40))


# The last reference number given per kind (contract, call_off), city prefix and year (civicpool_common.numbering).
ReferenceCounters = counters_table(Base.metadata)


class IdempotencyRecord(Base):
    """A mutating request's Idempotency-Key: a retry answers from `operation_id`, and posts nothing."""

    __tablename__ = "idempotency_keys"

    caller: Mapped[str] = mapped_column(String(255), primary_key=True)  # keys are per user
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    operation: Mapped[str] = mapped_column(String(40))
    request_sha256: Mapped[str] = mapped_column(String(64))
    operation_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)


class Budget(Base):
    """What a city plans to spend on the network's contracts in a year, set by its finance."""

    __tablename__ = "budgets"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
        CheckConstraint("year BETWEEN 2000 AND 2999", name="year_range"),
    )

    city_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    set_by: Mapped[str] = mapped_column(String(255))
    set_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class BudgetChange(Base):
    """Every setting of a budget as it was answered: the budget's history, and what a retry answers."""

    __tablename__ = "budget_changes"
    __table_args__ = (Index("ix_budget_changes_city_year", "city_id", "year"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the operation id
    city_id: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer)  # the budget's version after this change
    set_by: Mapped[str] = mapped_column(String(255))
    set_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


INVOICE_STATUSES = "('refused', 'invalid', 'duplicate', 'mismatched', 'matched', 'approved', 'rejected')"
STANDING = "vendor_id <> '' AND status IN ('mismatched', 'matched', 'approved')"  # an invoice that still stands"


class Invoice(Base):
    """An uploaded e-invoice and what became of it (invoices.py): kept whatever the outcome, with its SHA-256.

    What the invoice says is stored as read (BT numbers in the comments); who it concerns (city, vendor, contract)
    as matched. Only the decision columns change after the upload, by guarded UPDATEs.
    """

    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint(f"status IN {INVOICE_STATUSES}", name="status"),
        # One standing invoice per vendor and number (duplicates are recorded as such, beside it).
        Index(
            "uq_invoices_vendor_number_standing",
            "vendor_id",
            "number",
            unique=True,
            sqlite_where=text(STANDING),
            postgresql_where=text(STANDING),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # time-ordered
    status: Mapped[str] = mapped_column(String(16), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    format: Mapped[str] = mapped_column(String(8))  # xml | pdf | "" (refused before it was known)
    syntax: Mapped[str] = mapped_column(String(8), default="")  # UBL | CII
    scenario: Mapped[str] = mapped_column(String(120), default="")
    problem: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)  # why refused: {"kind", values…}
    findings: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # the rules' findings
    mismatches: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    number: Mapped[str] = mapped_column(String(200), default="")  # BT-1
    credit_note: Mapped[bool] = mapped_column(Boolean, default=False)
    issue_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)  # BT-2
    currency: Mapped[str] = mapped_column(String(3), default="")  # BT-5
    buyer_reference: Mapped[str] = mapped_column(String(200), default="")  # BT-10
    buyer_name: Mapped[str] = mapped_column(
        String(200), default=""
    )  # the billing unit BT-10 names, as the catalog has it
    seller_name: Mapped[str] = mapped_column(String(200), default="")  # BT-27
    contract_reference: Mapped[str] = mapped_column(String(200), default="")  # BT-12
    order_reference: Mapped[str] = mapped_column(String(200), default="")  # BT-13
    net_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # BT-109
    tax_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # BT-110
    gross_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # BT-112
    # Who it concerns, as matched ("" when the invoice names none): visibility follows these.
    city_id: Mapped[str] = mapped_column(String(40), default="", index=True)
    vendor_id: Mapped[str] = mapped_column(String(40), default="")
    contract_id: Mapped[str] = mapped_column(String(36), default="", index=True)
    duplicate_of: Mapped[str] = mapped_column(String(36), default="")
    uploaded_by: Mapped[str] = mapped_column(String(255))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[str] = mapped_column(String(255), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    transaction_id: Mapped[str] = mapped_column(String(36), default="")  # the approval's posting


class ChargeVatSetting(Base):
    """The network's setting for VAT on charges between member cities (rules.charge_tax): each setting appended,
    the latest in force; none set yet: the law on the invoice's date."""

    __tablename__ = "charge_vat_settings"
    __table_args__ = (
        CheckConstraint("treatment IN ('law_on_invoice_date', 'not_taxable_2b_3', 'taxable')", name="treatment"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # time-ordered: the latest is in force
    treatment: Mapped[str] = mapped_column(String(24))
    set_by: Mapped[str] = mapped_column(String(255))
    set_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class ChargeInvoice(Base):
    """An XRechnung the lead city issued a member city for its part of a shared cost (charges.py): kept as issued,
    never changed. One per shared cost and member city."""

    __tablename__ = "charge_invoices"
    __table_args__ = (
        UniqueConstraint("transaction_id", "buyer_city_id"),
        UniqueConstraint("seller_city_id", "number"),
        CheckConstraint("vat_category IN ('O', 'S')", name="vat_category"),
        CheckConstraint("net_cents > 0 AND vat_cents >= 0 AND gross_cents = net_cents + vat_cents", name="amounts"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # time-ordered
    number: Mapped[str] = mapped_column(String(20))  # BT-1: the lead city's sequence of charges (numbering)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"))
    seller_city_id: Mapped[str] = mapped_column(String(40), index=True)
    buyer_city_id: Mapped[str] = mapped_column(String(40), index=True)
    leitweg_id: Mapped[str] = mapped_column(String(46))
    issue_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    net_cents: Mapped[int] = mapped_column(BigInteger)
    vat_cents: Mapped[int] = mapped_column(BigInteger)
    gross_cents: Mapped[int] = mapped_column(BigInteger)
    vat_category: Mapped[str] = mapped_column(String(1))
    vat_rate_bps: Mapped[int] = mapped_column(Integer)
    legal_note: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # the UBL XML as issued, read for its download
    vat_transaction_id: Mapped[str] = mapped_column(String(36), default="")  # the VAT's posting, "" for none
    issued_by: Mapped[str] = mapped_column(String(255))
    issued_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class InvoiceLine(Base):
    """An invoice line as read, in cents and whole units. The lines of matched and approved invoices are what
    was invoiced against a city's call-offs (a credit note's count negative)."""

    __tablename__ = "invoice_lines"

    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[str] = mapped_column(String(200))  # BT-126
    seller_item_id: Mapped[str] = mapped_column(String(200))  # BT-155
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit_price_cents: Mapped[int] = mapped_column(BigInteger)
    net_cents: Mapped[int] = mapped_column(BigInteger)
    vat_rate_bps: Mapped[int] = mapped_column(Integer)


class InvoiceDocument(Base):
    """The file as uploaded (not for an upload over the size limit, which is recorded by its hash only)."""

    __tablename__ = "invoice_documents"

    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class NotificationOrder(NotificationOutbox, Base):
    """The outbox of e-mail events (civicpool_common.notify): written in the change's own transaction."""

    __tablename__ = "notification_orders"
