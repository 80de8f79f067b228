"""Hypothesis strategies for proto messages, built from their descriptors: every field gets a value.

A reply as a service could send it: enums other than UNSPECIFIED, Timestamps set (to the microsecond, as
REST carries them), ISO dates in date fields, and values within what the REST models accept. A field REST
documents as nullable (an enum or Timestamp that may be unset) gets its zero value too; `NULLABLE` names them.

`requests(...)` draws what a REST body can carry instead: short non-empty texts, small numbers, times
between 2000 and 2099 (the bodies' bounds), for the conversions of bodies to requests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

from civicpool_common.timestamps import to_timestamp
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import strategies as st

M = TypeVar("M", bound=Message)

INT_BOUNDS = {
    FieldDescriptor.TYPE_INT32: 2**31 - 1,
    FieldDescriptor.TYPE_INT64: 2**63 - 1,
    FieldDescriptor.TYPE_SINT32: 2**31 - 1,
    FieldDescriptor.TYPE_SINT64: 2**63 - 1,
}
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)).map(dt.date.isoformat)
moments = st.datetimes(
    min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC)
).map(to_timestamp)
cents = st.integers(0, 10**12)

# Enums and Timestamps that REST carries as null when unset (UNSPECIFIED, no Timestamp), by full field name.
NULLABLE = frozenset(
    {
        "civicpool.catalog.v1.Item.license_model",
        "civicpool.catalog.v1.Item.hosting_region",
        "civicpool.demand.v1.Round.status_changed_at",
        "civicpool.tenders.v1.Tender.recommended_procedure",
        "civicpool.tenders.v1.Tender.bids_due_at",
        "civicpool.tenders.v1.Tender.bids_opened_at",
        "civicpool.tenders.v1.Bid.hosting_region",
        "civicpool.tenders.v1.Evaluation.evaluated_at",
        "civicpool.contracts.v1.ContractChange.legal_ground",
        "civicpool.tenders.v1.Tender.contracts_activated_at",
        "civicpool.tenders.v1.Standstill.sent_at",
        "civicpool.tenders.v1.Complaint.outcome",
        "civicpool.tenders.v1.Complaint.outcome_recorded_at",
        "civicpool.contracts.v1.ChangeContractRequest.legal_ground",
        "civicpool.contracts.v1.MiniCompetition.decided_at",
        "civicpool.contracts.v1.Invoice.decided_at",
        "civicpool.contracts.v1.ChargeVatSetting.set_at",
        "civicpool.contracts.v1.ListInvoicesRequest.status",
        "civicpool.tenders.v1.Tender.external",
    }
)

# Fields whose values are narrower than their proto type: dates in strings, words, the REST models' bounds.
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "civicpool.catalog.v1.City.joined_on": st.one_of(st.just(""), days),
    "civicpool.catalog.v1.CostShare.basis_points": st.integers(1, 10_000),
    "civicpool.demand.v1.Line.needed_by": st.one_of(st.just(""), days),
    "civicpool.demand.v1.LineVersion.change": st.sampled_from(["created", "updated", "withdrawn"]),
    "civicpool.demand.v1.Aggregation.view": st.sampled_from(["network", "city", "own-city"]),
    "civicpool.tenders.v1.BidPrice.item_id": st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=64),
    "civicpool.tenders.v1.BidPrice.unit_price_cents": cents,
    "civicpool.tenders.v1.VolumeTier.min_quantity": st.integers(2, 10**9),
    "civicpool.tenders.v1.VolumeTier.unit_price_cents": cents,
    "civicpool.tenders.v1.LotAward.vendors": st.integers(1, 10),
    "civicpool.tenders.v1.ExternalProcedure.notice_date": days,
    "civicpool.tenders.v1.ExternalItem.estimated_quantity": st.integers(0, 1_000_000),
    "civicpool.tenders.v1.ExternalItem.max_quantity": st.integers(1, 1_000_000),
    "civicpool.tenders.v1.ExternalPrice.unit_price_cents": st.integers(1, 10**11),
    "civicpool.tenders.v1.Weights.price": st.integers(0, 100),
    "civicpool.tenders.v1.Weights.quality": st.integers(0, 100),
    "civicpool.tenders.v1.Weights.data_protection": st.integers(0, 100),
    "civicpool.contracts.v1.Contract.starts_on": days,
    "civicpool.contracts.v1.Invoice.issue_date": st.one_of(st.just(""), days),
    "civicpool.contracts.v1.ChargeInvoice.issue_date": days,
    "civicpool.contracts.v1.ChargeInvoice.due_date": days,
    "civicpool.contracts.v1.InvoiceLineRow.issue_date": st.one_of(st.just(""), days),
    "civicpool.contracts.v1.InvoiceStatusRow.status": st.sampled_from(
        ["refused", "invalid", "duplicate", "mismatched", "matched", "approved", "rejected"]
    ),
    "civicpool.contracts.v1.InvoiceReport.from": days,
    "civicpool.contracts.v1.InvoiceReport.to": days,
    "civicpool.contracts.v1.AccrualReport.at": days,
    "civicpool.contracts.v1.InvoiceLinesExport.from": days,
    "civicpool.contracts.v1.InvoiceLinesExport.to": days,
    "civicpool.contracts.v1.DecideInvoiceRequest.reason": st.text(
        st.characters(exclude_categories=["Cs"]), min_size=10, max_size=2000
    ),
    "civicpool.contracts.v1.Contract.ends_on": days,
    "civicpool.contracts.v1.Contract.renewal_notice_on": days,
    "civicpool.contracts.v1.Statement.from": days,
    "civicpool.contracts.v1.ContractTerms.ends_on": days,
    "civicpool.tenders.v1.Tender.standstill_ends_on": st.one_of(st.just(""), days),
    "civicpool.tenders.v1.Standstill.last_day": st.one_of(st.just(""), days),
    "civicpool.tenders.v1.Standstill.earliest_conclusion_on": st.one_of(st.just(""), days),
    "civicpool.tenders.v1.InformationNotice.earliest_conclusion_on": days,
    "civicpool.tenders.v1.Complaint.received_on": days,
    "civicpool.tenders.v1.Complaint.decided_on": st.one_of(st.just(""), days),
    "civicpool.tenders.v1.RecordComplaintRequest.received_on": days,
    "civicpool.tenders.v1.DecideComplaintRequest.decided_on": days,
    "civicpool.contracts.v1.ChangeContractRequest.justification": st.text(
        st.characters(exclude_categories=["Cs", "Z", "C"]), min_size=20, max_size=40
    ),
    "civicpool.contracts.v1.ChangeContractRequest.unit_price_cents": st.integers(1, 10**11),
    # Not a budget's field on REST: SetBudget's answer says it in a header (Idempotent-Replayed).
    "civicpool.contracts.v1.Budget.replayed": st.just(False),
    "civicpool.contracts.v1.Statement.to": days,
}


@dataclass(frozen=True)
class Kind:
    """What values to draw: a reply's (any text, any number of the field's type) or a REST body's."""

    texts: st.SearchStrategy[str]
    moments: st.SearchStrategy[Timestamp]
    small: bool
    fields: dict[str, st.SearchStrategy[Any]]


REPLY = Kind(texts, moments, small=False, fields={})
body_texts = st.text(st.characters(categories=["L", "N"]), min_size=2, max_size=12)
body_moments = st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31), timezones=st.just(dt.UTC)
).map(to_timestamp)


def _value(field: FieldDescriptor, kind: Kind) -> st.SearchStrategy[Any]:
    if field.name in kind.fields:
        return kind.fields[field.name]
    if field.full_name in FIELD_VALUES:
        return FIELD_VALUES[field.full_name]
    nullable = field.full_name in NULLABLE
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        if field.message_type.full_name == Timestamp.DESCRIPTOR.full_name:
            return st.one_of(st.none(), kind.moments) if nullable else kind.moments
        return _message(field.message_type, kind)
    if field.type == FieldDescriptor.TYPE_ENUM:
        numbers = [v.number for v in field.enum_type.values if v.number != 0 or nullable]
        return st.sampled_from(numbers)
    if field.type == FieldDescriptor.TYPE_STRING:
        return kind.texts
    if field.type == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if field.type in INT_BOUNDS:
        bound = INT_BOUNDS[field.type]
        return st.integers(1, 100) if kind.small else st.integers(-bound - 1, bound)
    raise NotImplementedError(f"no strategy for {field.full_name}")


def _aligned_columns(values: dict[str, Any], cities: list[tuple[str, int, int, int]]) -> dict[str, Any]:
    """An aggregation's item: its per-city breakdown is four columns of one length."""
    columns = ("city_ids", "city_quantities", "city_line_counts", "city_estimated_cents")
    return values | {name: [city[i] for city in cities] for i, name in enumerate(columns)}


def _without_a_budget(values: dict[str, Any]) -> dict[str, Any]:
    """A budget report's row: without a budget, there is no budget and nothing remaining (both zero)."""
    return values if values["has_budget"] else values | {"budget_cents": 0, "remaining_cents": 0}


def _message(descriptor: Descriptor, kind: Kind) -> st.SearchStrategy[Any]:
    """A message of this descriptor as a dict of field values (what its constructor takes)."""
    if descriptor.full_name == "civicpool.demand.v1.ItemTotal":
        count = st.integers(-(2**63), 2**63 - 1)
        cities = st.lists(st.tuples(texts, count, count, count), max_size=4)
        return st.builds(_aligned_columns, _fields(descriptor, kind), cities)
    if descriptor.full_name == "civicpool.contracts.v1.BudgetRow":
        return _fields(descriptor, kind).map(_without_a_budget)
    return _fields(descriptor, kind)


def _fields(descriptor: Descriptor, kind: Kind) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            key, value = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
            fields[field.name] = st.dictionaries(_value(key, kind), _value(value, kind), max_size=3)
        elif field.is_repeated:
            fields[field.name] = st.lists(_value(field, kind), max_size=3)
        else:
            fields[field.name] = _value(field, kind)
    return st.fixed_dictionaries(fields)


def messages(message_type: type[M]) -> st.SearchStrategy[M]:
    """Messages of this type with every field drawn, as a service's reply could be (the module's docstring)."""
    return _message(message_type.DESCRIPTOR, REPLY).map(lambda values: message_type(**values))


def requests(message_type: type[M], **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[M]:
    """Messages of this type with what REST bodies can carry (the module's docstring); `fields` by field name,
    at any depth, for narrower values."""
    kind = Kind(body_texts, body_moments, small=True, fields=fields)
    return _message(message_type.DESCRIPTOR, kind).map(lambda values: message_type(**values))
