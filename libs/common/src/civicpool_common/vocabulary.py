"""Words of the public contract, shared by REST (gateway) and gRPC (services).

The REST API speaks these values ("hardware", "DE", ...); the protos carry the
matching enum numbers (ITEM_KIND_HARDWARE, HOSTING_REGION_DE, ...). Member
names equal the proto value names without their prefix, so conversion is
mechanical and a missing member fails loudly.
"""

from __future__ import annotations

import functools
import re
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

# The network's calendar: people see times in Europe/Berlin, and "today" is their day.
NETWORK_TIME_ZONE = ZoneInfo("Europe/Berlin")

# Ids chosen by people (cities, vendors, cost keys): also the `city` and `vendor` token claims.
ID_PATTERN = r"^[a-z][a-z0-9-]{1,39}$"


class ItemKind(StrEnum):
    HARDWARE = "hardware"
    LICENSE = "license"
    SERVICE = "service"


class LicenseModel(StrEnum):
    PER_USER = "per_user"
    PER_DEVICE = "per_device"
    CONCURRENT = "concurrent"
    SITE = "site"


class HostingRegion(StrEnum):
    DE = "DE"
    EU = "EU"
    THIRD_COUNTRY = "third_country"


class CostKeyMethod(StrEnum):
    EQUAL = "equal"
    POPULATION = "population"
    USAGE = "usage"
    FIXED = "fixed"


class RoundStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    BUNDLED = "bundled"
    CANCELLED = "cancelled"


class LineStatus(StrEnum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


class Priority(StrEnum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class ImportMode(StrEnum):
    ADD = "add"
    REPLACE = "replace"


class TenderStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    BIDDING_CLOSED = "bidding_closed"
    EVALUATED = "evaluated"
    AWARDED = "awarded"
    CANCELLED = "cancelled"


class Procedure(StrEnum):
    """Award procedures, from the least to the most formal."""

    DIRECT_AWARD = "direct_award"
    RESTRICTED_OR_NEGOTIATED = "restricted_or_negotiated"
    OPEN_NATIONAL = "open_national"
    OPEN_EU = "open_eu"


class BidStatus(StrEnum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


class BidOutcome(StrEnum):
    PENDING = "pending"
    AWARDED = "awarded"
    NOT_AWARDED = "not_awarded"


class ContractStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    PENDING = "pending"  # awarded, in the standstill (§ 134 GWB): no call-offs until the lead confirms signing
    REVOKED = "revoked"  # the award was revoked before conclusion: kept on record


class ComplaintOutcome(StrEnum):
    """What the public procurement chamber decided on a review application (open: none yet)."""

    DISMISSED = "dismissed"
    UPHELD = "upheld"


class ChangeKind(StrEnum):
    """What a change of an active contract under § 132 GWB moves."""

    PRICE_ADJUSTMENT = "price_adjustment"
    QUANTITY_INCREASE = "quantity_increase"
    TERM_EXTENSION = "term_extension"
    VENDOR_SUCCESSION = "vendor_succession"


class LegalGround(StrEnum):
    """The grounds of § 132 (2) GWB a change beyond the de-minimis limits rests on."""

    REVIEW_CLAUSE = "review_clause"  # Nr. 1: a clear review clause or option of the original documents
    ADDITIONAL_SUPPLIES = "additional_supplies"  # Nr. 2: another vendor impossible for economic or technical reasons
    UNFORESEEABLE = "unforeseeable"  # Nr. 3: circumstances a diligent buyer could not foresee
    SUCCESSION = "succession"  # Nr. 4: a new vendor by restructuring, takeover, merger or insolvency


class PassOnCause(StrEnum):
    """Why a framework call-off goes on to the next-ranked vendor (the cascade of § 21 (4) Nr. 1 VgV)."""

    DECLINED = "declined"  # the vendor declined the call-off
    NOT_IN_TIME = "not_in_time"  # the vendor cannot deliver in time


class MiniCompetitionStatus(StrEnum):
    OPEN = "open"  # taking offers until the deadline, then to be decided
    AWARDED = "awarded"  # the best offer became the call-offs
    NO_OFFERS = "no_offers"  # decided without an offer: nothing called off


class ChargeVat(StrEnum):
    """How the network's cities charge each other VAT on shared costs (§ 2b UStG from 2027)."""

    LAW_ON_INVOICE_DATE = "law_on_invoice_date"  # § 2 (3) UStG old version until 2026, § 2b UStG from 2027
    NOT_TAXABLE_2B_3 = "not_taxable_2b_3"  # the network declares a cooperation of § 2b (3) Nr. 2 UStG
    TAXABLE = "taxable"  # taxable at the standard rate in any case


class InvoiceStatus(StrEnum):
    """What became of an uploaded e-invoice (docs/invoices.md)."""

    REFUSED = "refused"  # not read as an invoice: too large, unsafe, no XML, a PDF without an embedded invoice
    INVALID = "invalid"  # the official rules refuse it, or none apply (a profile below EN 16931)
    DUPLICATE = "duplicate"  # the vendor sent this invoice number before
    MISMATCHED = "mismatched"  # differs from the contract or the city's call-offs
    MATCHED = "matched"  # waits for the city's finance
    APPROVED = "approved"  # approved for payment and booked
    REJECTED = "rejected"  # sent back to the vendor with a reason


Word = TypeVar("Word", bound=StrEnum)
# A generated proto enum (mypy-protobuf types each as a class with an enum-wrapper metaclass).
ProtoEnum = Any


def _prefix(proto_enum: ProtoEnum) -> str:
    name: str = proto_enum.DESCRIPTOR.name
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper() + "_"


@functools.cache
def _numbers(proto_enum: ProtoEnum, words: type[StrEnum]) -> dict[str, int]:
    """word -> proto number, computed once per enum pair (conversions run per record on hot paths)."""
    prefix = _prefix(proto_enum)
    return {member.value: proto_enum.Value(prefix + member.name) for member in words}


@functools.cache
def _words(proto_enum: ProtoEnum, words: type[Word]) -> dict[int, Word]:
    prefix = _prefix(proto_enum)
    return {proto_enum.Value(prefix + member.name): member for member in words}


def to_proto(value: StrEnum | str | None, proto_enum: ProtoEnum, words: type[StrEnum]) -> Any:
    """The proto enum number for a word (None or unknown -> UNSPECIFIED, which services reject)."""
    if value is None:
        return 0
    return _numbers(proto_enum, words).get(str(value), 0)


def words_of(proto_enum: ProtoEnum, words: type[Word]) -> dict[int, Word]:
    """proto number -> word for an enum pair (UNSPECIFIED and unknown numbers are missing); do not change it."""
    return _words(proto_enum, words)


def from_proto(number: int, proto_enum: ProtoEnum, words: type[Word]) -> Word | None:
    """The word for a proto enum number; None for UNSPECIFIED (0) or a number we do not know."""
    return _words(proto_enum, words).get(number)
