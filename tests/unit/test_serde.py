"""The gateway's serde: every message it receives or sends, both ways, without losing a field.

Replies: a message as a service could send it (every field drawn) -> REST model -> message is the same
message, and the model -> message -> model the same model. Requests: a REST body -> message -> body is the
same body, and that message -> body -> message the same message. Every `*_to_proto` has its `*_from_proto`.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from civicpool.catalog.v1 import catalog_pb2 as catalog_pb
from civicpool.contracts.v1 import contracts_pb2 as contracts_pb
from civicpool.demand.v1 import demand_pb2 as demand_pb
from civicpool.tenders.v1 import tenders_pb2 as tenders_pb
from civicpool_common.vocabulary import ImportMode
from civicpool_gateway.catalog_schemas import CityPatch, CostKeyPatch, ItemPatch, VendorPatch
from civicpool_gateway.demand_schemas import (
    Aggregation,
    AggregationJson,
    CityQuantity,
    CityQuantityJson,
    ItemTotal,
    ItemTotalJson,
    LinePatch,
    RoundPatch,
)
from civicpool_gateway.serde import catalog, contracts, demand, invoices, tenders
from civicpool_gateway.serde.fields import update_mask
from civicpool_gateway.tender_schemas import TenderPatch
from civicpool_gateway.uploads import SheetRow
from google.protobuf.message import Message
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from tests.support.messages import messages, requests

SERDE_MODULES = (catalog, demand, tenders, contracts, invoices)
ROUND_TRIPS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- replies: message -> model -> message ---------------------------------------------------------

# (message type, from_proto, to_proto) for every message the gateway turns into a REST answer
REPLIES: list[tuple[type[Message], Callable[[Any], Any], Callable[[Any], Message]]] = [
    (catalog_pb.Item, catalog.item_from_proto, catalog.item_to_proto),
    (catalog_pb.City, catalog.city_from_proto, catalog.city_to_proto),
    (catalog_pb.Vendor, catalog.vendor_from_proto, catalog.vendor_to_proto),
    (catalog_pb.CostKey, catalog.cost_key_from_proto, catalog.cost_key_to_proto),
    (demand_pb.Round, demand.round_from_proto, demand.round_to_proto),
    (demand_pb.ListRoundsResponse, demand.rounds_page_from_proto, demand.rounds_page_to_proto),
    (demand_pb.Line, demand.line_from_proto, demand.line_to_proto),
    (demand_pb.ListLinesResponse, demand.lines_page_from_proto, demand.lines_page_to_proto),
    (demand_pb.LineVersion, demand.line_version_from_proto, demand.line_version_to_proto),
    (demand_pb.LineHistory, demand.line_history_from_proto, demand.line_history_to_proto),
    (demand_pb.Aggregation, demand.aggregation_from_proto, demand.aggregation_to_proto),
    (demand_pb.ImportResult, demand.import_result_from_proto, demand.import_result_to_proto),
    (tenders_pb.Tender, tenders.tender_from_proto, tenders.tender_to_proto),
    (tenders_pb.ListTendersResponse, tenders.tenders_page_from_proto, tenders.tenders_page_to_proto),
    (tenders_pb.Bid, tenders.bid_from_proto, tenders.bid_to_proto),
    (tenders_pb.ListBidsResponse, tenders.bids_page_from_proto, tenders.bids_page_to_proto),
    (tenders_pb.Evaluation, tenders.evaluation_from_proto, tenders.evaluation_to_proto),
    (tenders_pb.AwardResult, tenders.award_result_from_proto, tenders.award_result_to_proto),
    (tenders_pb.DocumentVersion, tenders.document_version_from_proto, tenders.document_version_to_proto),
    (tenders_pb.Document, tenders.document_from_proto, tenders.document_to_proto),
    (tenders_pb.ListDocumentsResponse, tenders.documents_page_from_proto, tenders.documents_page_to_proto),
    (tenders_pb.Question, tenders.question_from_proto, tenders.question_to_proto),
    (tenders_pb.ListQuestionsResponse, tenders.questions_page_from_proto, tenders.questions_page_to_proto),
    (tenders_pb.Standstill, tenders.standstill_from_proto, tenders.standstill_to_proto),
    (tenders_pb.Complaint, tenders.complaint_from_proto, tenders.complaint_to_proto),
    (tenders_pb.ListComplaintsResponse, tenders.complaints_page_from_proto, tenders.complaints_page_to_proto),
    (contracts_pb.Contract, contracts.contract_from_proto, contracts.contract_to_proto),
    (contracts_pb.ListContractsResponse, contracts.contracts_page_from_proto, contracts.contracts_page_to_proto),
    (contracts_pb.Operation, contracts.operation_from_proto, contracts.operation_to_proto),
    (contracts_pb.QuotaShift, contracts.quota_shift_from_proto, contracts.quota_shift_to_proto),
    (contracts_pb.ContractChange, contracts.change_from_proto, contracts.change_to_proto),
    (contracts_pb.ContractHistory, contracts.history_from_proto, contracts.history_to_proto),
    (contracts_pb.Utilisation, contracts.utilisation_from_proto, contracts.utilisation_to_proto),
    (contracts_pb.RenewalRound, contracts.renewal_round_from_proto, contracts.renewal_round_to_proto),
    (contracts_pb.ListLedgerTransactionsResponse, contracts.ledger_page_from_proto, contracts.ledger_page_to_proto),
    (contracts_pb.ListBudgetsResponse, contracts.budgets_from_proto, contracts.budgets_to_proto),
    (contracts_pb.Statement, contracts.statement_from_proto, contracts.statement_to_proto),
    (contracts_pb.UtilisationReport, contracts.utilisation_report_from_proto, contracts.utilisation_report_to_proto),
    (contracts_pb.RenewalsDue, contracts.renewals_due_from_proto, contracts.renewals_due_to_proto),
    (contracts_pb.BudgetReport, contracts.budget_report_from_proto, contracts.budget_report_to_proto),
    (contracts_pb.MiniCompetition, contracts.mini_competition_from_proto, contracts.mini_competition_to_proto),
    (
        contracts_pb.ListMiniCompetitionsResponse,
        contracts.mini_competitions_page_from_proto,
        contracts.mini_competitions_page_to_proto,
    ),
    (contracts_pb.ListCallOffsResponse, contracts.call_offs_page_from_proto, contracts.call_offs_page_to_proto),
    (contracts_pb.Invoice, invoices.invoice_from_proto, invoices.invoice_to_proto),
    (contracts_pb.InvoiceReport, invoices.invoice_report_from_proto, invoices.invoice_report_to_proto),
    (contracts_pb.AccrualReport, invoices.accrual_report_from_proto, invoices.accrual_report_to_proto),
    (contracts_pb.InvoiceLinesExport, invoices.invoice_lines_from_proto, invoices.invoice_lines_to_proto),
    (contracts_pb.ChargeVatSetting, invoices.charge_vat_from_proto, invoices.charge_vat_to_proto),
    (contracts_pb.ListInvoicesResponse, invoices.invoices_page_from_proto, invoices.invoices_page_to_proto),
    (contracts_pb.InvoiceCheck, invoices.invoice_check_from_proto, invoices.invoice_check_to_proto),
    (contracts_pb.ChargeInvoices, invoices.charges_from_proto, invoices.charges_to_proto),
    (contracts_pb.ListChargeInvoicesResponse, invoices.charges_page_from_proto, invoices.charges_page_to_proto),
]


@pytest.mark.parametrize(("message_type", "from_proto", "to_proto"), REPLIES, ids=lambda r: getattr(r, "__name__", ""))
def test_a_reply_survives_the_round_trip(
    message_type: type[Message], from_proto: Callable[[Any], Any], to_proto: Callable[[Any], Message]
) -> None:
    @ROUND_TRIPS
    @given(messages(message_type))
    def round_trip(message: Message) -> None:
        model = from_proto(message)
        assert to_proto(model) == message
        assert from_proto(to_proto(model)) == model

    round_trip()


def test_a_budget_keeps_whether_it_was_replayed_outside_the_model() -> None:
    reply = contracts_pb.Budget(city_id="bruchsal", year=2027, amount_cents=5, set_by="f", version=2, replayed=True)
    reply.set_at.FromDatetime(dt.datetime(2027, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    assert contracts.budget_to_proto(contracts.budget_from_proto(reply), replayed=True) == reply


@given(messages(catalog_pb.SplitCostResponse), st.text(max_size=5), st.integers(-(10**12), 10**12))
def test_a_split_is_the_requests_amount_in_the_replys_parts(
    reply: catalog_pb.SplitCostResponse, cost_key_id: str, amount: int
) -> None:
    split = catalog.split_from_proto(catalog_pb.SplitCostRequest(cost_key_id=cost_key_id, amount_cents=amount), reply)
    assert (split.cost_key_id, split.amount_cents) == (cost_key_id, amount)
    assert catalog.split_to_proto(split) == reply


def test_a_reply_without_a_time_it_must_have_is_refused() -> None:
    """An unset Timestamp is null; a model whose field may not be null refuses it (the service's bug: a 500)."""
    with pytest.raises(ValidationError):
        catalog.item_from_proto(catalog_pb.Item(kind=catalog_pb.ITEM_KIND_HARDWARE))


def test_nullable_fields_are_null_when_the_message_holds_their_zero_value() -> None:
    created = catalog_pb.Item().created_at
    created.FromDatetime(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    bare = catalog.item_from_proto(
        catalog_pb.Item(kind=catalog_pb.ITEM_KIND_LICENSE, created_at=created, updated_at=created)
    )
    assert (bare.license_model, bare.license_term_months, bare.hosting_region) == (None, None, None)
    assert catalog.item_to_proto(bare) == catalog_pb.Item(
        kind=catalog_pb.ITEM_KIND_LICENSE, created_at=created, updated_at=created
    )


# -- the aggregation: plain dicts of the Aggregation schema ----------------------------------------


@pytest.mark.parametrize(
    ("typed_dict", "model"),
    [(AggregationJson, Aggregation), (ItemTotalJson, ItemTotal), (CityQuantityJson, CityQuantity)],
)
def test_the_aggregations_dicts_have_the_models_fields(typed_dict: type, model: type[BaseModel]) -> None:
    assert list(typed_dict.__annotations__) == list(model.model_fields)


@given(messages(demand_pb.Aggregation))
def test_the_aggregations_dicts_are_valid_answers(message: demand_pb.Aggregation) -> None:
    aggregation = demand.aggregation_from_proto(message)
    assert Aggregation.model_validate(aggregation).model_dump(mode="json") == aggregation


# -- requests: body -> message -> body --------------------------------------------------------------

Body = Any


def _valid(build: Callable[[], Body]) -> Body:
    """A body the REST API accepts (bounds, patterns), or the example is skipped."""
    try:
        return build()
    except ValidationError:
        assume(False)
        raise


def _body_round_trip(
    message: Message, from_proto: Callable[[Message], Body], to_proto: Callable[[Body], Message]
) -> None:
    body = _valid(lambda: from_proto(message))
    sent = to_proto(body)
    assert from_proto(sent) == body
    assert to_proto(from_proto(sent)) == sent


DE = st.sampled_from(["DE", "AT"])
CPV_PREFIX = st.sampled_from(["30", "302", "48515"])
# (request message, what a body can carry in it, message -> body, body -> message)
# An external award's lot (each element's strategy): at least one item and one vendor pricing at least one
# item (the REST model's bounds), drawn whole, as too few of freely drawn ones would pass.
_NAMES = st.text(st.characters(categories=["L", "N"]), min_size=2, max_size=12)
_PRICES = st.fixed_dictionaries({"item_id": _NAMES, "unit_price_cents": st.integers(1, 10**11)})
EXTERNAL_LOTS = st.fixed_dictionaries({
    "title": _NAMES,
    "items": st.lists(st.fixed_dictionaries({"item_id": _NAMES, "estimated_quantity": st.integers(0, 10),
                                             "max_quantity": st.integers(1, 10)}), min_size=1, max_size=2),
    "vendors": st.lists(st.fixed_dictionaries({"vendor_id": _NAMES, "prices": st.lists(_PRICES, min_size=1,
                                                                                      max_size=2)}),
                        min_size=1, max_size=2),
})  # fmt: skip
BODIES: list[tuple[str, st.SearchStrategy[Any], Callable[[Any], Body], Callable[[Body], Message]]] = [
    ("item", requests(catalog_pb.Item), catalog.item_fields_from_proto, catalog.item_fields_to_proto),
    ("city", requests(catalog_pb.City), catalog.city_fields_from_proto, catalog.city_fields_to_proto),
    ("vendor", requests(catalog_pb.Vendor, country=DE), catalog.vendor_fields_from_proto,
     catalog.vendor_fields_to_proto),
    ("cost key", requests(catalog_pb.CostKey), catalog.cost_key_fields_from_proto, catalog.cost_key_fields_to_proto),
    ("split", requests(catalog_pb.SplitCostRequest, cost_key_id=st.just("k")), catalog.split_request_from_proto,
     lambda body: catalog.split_request_to_proto("k", body)),
    ("round", requests(demand_pb.Round, scope_cpv_prefixes=CPV_PREFIX), demand.round_fields_from_proto,
     demand.round_fields_to_proto),
    ("rounds query", requests(demand_pb.ListRoundsRequest), demand.rounds_query_from_proto,
     demand.rounds_query_to_proto),
    ("line", requests(demand_pb.Line, round_id=st.just("r")), demand.line_fields_from_proto,
     lambda body: demand.line_fields_to_proto("r", body.city_id or "", body)),
    ("lines query", requests(demand_pb.ListLinesRequest, round_id=st.just("r")), demand.lines_query_from_proto,
     lambda params: demand.lines_query_to_proto("r", params)),
    ("tender", requests(tenders_pb.CreateTenderRequest), tenders.tender_create_from_proto,
     tenders.tender_create_to_proto),
    ("tenders query", requests(tenders_pb.ListTendersRequest), tenders.tenders_query_from_proto,
     tenders.tenders_query_to_proto),
    ("bid", requests(tenders_pb.Bid, min_quantity=st.integers(2, 100)), tenders.bid_fields_from_proto,
     tenders.bid_fields_to_proto),
    ("bid replacement", requests(tenders_pb.SubmitBidRequest, tender_id=st.just("t"), id=st.just("b"),
                                 min_quantity=st.integers(2, 100)),
     tenders.bid_replace_from_proto, lambda body: tenders.bid_replace_to_proto("t", "b", body, body.version or 0)),
    ("evaluation", requests(tenders_pb.EvaluateTenderRequest, tender_id=st.just("t")), tenders.evaluate_from_proto,
     lambda body: tenders.evaluate_to_proto("t", body, body.version or 0)),
    ("award", requests(tenders_pb.AwardTenderRequest, tender_id=st.just("t"), starts_on=st.just("2027-01-01"),
                       ends_on=st.just(""), renewal_notice_on=st.just("2028-10-01")),
     tenders.award_from_proto, lambda body: tenders.award_to_proto("t", body, body.version or 0)),
    ("complaint", requests(tenders_pb.RecordComplaintRequest, tender_id=st.just("t")),
     tenders.complaint_request_from_proto, lambda body: tenders.complaint_request_to_proto("t", body)),
    ("complaint outcome", requests(tenders_pb.DecideComplaintRequest, tender_id=st.just("t"),
                                   complaint_id=st.just("c")),
     tenders.outcome_request_from_proto,
     lambda body: tenders.outcome_request_to_proto("t", "c", body, body.version or 0)),
    ("contracts query", requests(contracts_pb.ListContractsRequest), contracts.contracts_query_from_proto,
     contracts.contracts_query_to_proto),
    ("call-off", requests(contracts_pb.CallOffRequest, contract_id=st.just("c"), idempotency_key=st.just("")),
     contracts.call_off_from_proto, lambda body: contracts.call_off_to_proto("c", body, None)),
    ("return", requests(contracts_pb.ReturnSeatsRequest, contract_id=st.just("c"), idempotency_key=st.just("k")),
     contracts.return_from_proto, lambda body: contracts.return_to_proto("c", body, "k")),
    ("move", requests(contracts_pb.MoveSeatsRequest, contract_id=st.just("c"), idempotency_key=st.just("k")),
     contracts.move_from_proto, lambda body: contracts.move_to_proto("c", body, "k")),
    ("quota shift", requests(contracts_pb.ShiftQuotaRequest, contract_id=st.just("c"), idempotency_key=st.just("k")),
     contracts.quota_shift_request_from_proto, lambda body: contracts.quota_shift_request_to_proto("c", body, "k")),
    ("contract change", requests(contracts_pb.ChangeContractRequest, contract_id=st.just("c"),
                                 idempotency_key=st.just("k"), ends_on=st.just("2029-12-31")),
     contracts.change_request_from_proto,
     lambda body: contracts.change_request_to_proto("c", body, body.version or 0, "k")),
    ("shared cost", requests(contracts_pb.ShareCostRequest, contract_id=st.just("c"), idempotency_key=st.just("k")),
     contracts.shared_cost_from_proto, lambda body: contracts.shared_cost_to_proto("c", body, "k")),
    ("renewal", requests(contracts_pb.StartRenewalRoundRequest, contract_id=st.just("c")),
     contracts.renewal_request_from_proto, lambda body: contracts.renewal_request_to_proto("c", body)),
    ("mini-competitions query", requests(contracts_pb.ListMiniCompetitionsRequest, framework_id=st.just("f")),
     contracts.mini_competitions_query_from_proto,
     lambda params: contracts.mini_competitions_query_to_proto("f", params)),
    ("ledger query", requests(contracts_pb.ListLedgerTransactionsRequest), contracts.ledger_query_from_proto,
     contracts.ledger_query_to_proto),
    ("reversal", requests(contracts_pb.ReverseTransactionRequest, id=st.just("t"), idempotency_key=st.just("k")),
     contracts.reversal_from_proto, lambda body: contracts.reversal_to_proto("t", body, "k")),
    ("mini-competition", requests(contracts_pb.StartMiniCompetitionRequest, framework_id=st.just("f"),
                                  idempotency_key=st.just("k")),
     contracts.mini_competition_request_from_proto,
     lambda body: contracts.mini_competition_request_to_proto("f", body, "k")),
    ("offer", requests(contracts_pb.SubmitOfferRequest, id=st.just("m")), contracts.offer_from_proto,
     lambda body: contracts.offer_to_proto("m", body)),
    ("external award", requests(tenders_pb.RecordExternalAwardRequest, notice_date=st.just("2026-10-15"),
                                starts_on=st.just("2027-01-01"), ends_on=st.just(""), renewal_notice_on=st.just(""),
                                lots=EXTERNAL_LOTS),
     tenders.external_award_from_proto, tenders.external_award_to_proto),
    ("pass on", requests(contracts_pb.PassOnCallOffRequest, id=st.just("t"), idempotency_key=st.just("k")),
     contracts.pass_on_from_proto, lambda body: contracts.pass_on_to_proto("t", body, "k")),
    ("call-offs query", requests(contracts_pb.ListCallOffsRequest, contract_id=st.just("c")),
     contracts.call_offs_query_from_proto, lambda params: contracts.call_offs_query_to_proto("c", params)),
    ("charge VAT", requests(contracts_pb.SetChargeVatRequest, idempotency_key=st.just("k")),
     invoices.charge_vat_body_from_proto, lambda body: invoices.charge_vat_body_to_proto(body, "k")),
    ("invoices query", requests(contracts_pb.ListInvoicesRequest), invoices.invoices_query_from_proto,
     invoices.invoices_query_to_proto),
    ("charges query", requests(contracts_pb.ListChargeInvoicesRequest), invoices.charges_query_from_proto,
     invoices.charges_query_to_proto),
    ("charge issue", requests(contracts_pb.IssueChargeInvoicesRequest, transaction_id=st.just("t"),
                              payment_days=st.integers(7, 90)),
     invoices.charge_issue_from_proto, lambda body: invoices.charge_issue_to_proto("t", body)),
    ("rejection", requests(contracts_pb.DecideInvoiceRequest, id=st.just("i"), idempotency_key=st.just("k")),
     invoices.rejection_from_proto, lambda body: invoices.rejection_to_proto("i", body, "k")),
    ("budget", requests(contracts_pb.SetBudgetRequest, city_id=st.just("c"), year=st.just(2027),
                        idempotency_key=st.just("k")),
     contracts.budget_request_from_proto,
     lambda body: contracts.budget_request_to_proto("c", 2027, body, body.version or 0, "k")),
]  # fmt: skip


@pytest.mark.parametrize(("name", "sent", "from_proto", "to_proto"), BODIES, ids=[b[0] for b in BODIES])
def test_a_body_survives_the_round_trip(
    name: str, sent: st.SearchStrategy[Any], from_proto: Callable[[Any], Body], to_proto: Callable[[Body], Message]
) -> None:
    @ROUND_TRIPS
    @given(sent)
    def round_trip(message: Message) -> None:
        _body_round_trip(message, from_proto, to_proto)

    round_trip()


PATCHES: list[tuple[str, st.SearchStrategy[Any], type[BaseModel], Callable[..., Any], Callable[..., Message]]] = [
    ("item", requests(catalog_pb.Item, id=st.just("x")), ItemPatch, catalog.item_patch_from_proto,
     lambda patch: catalog.item_patch_to_proto("x", patch)),
    ("city", requests(catalog_pb.City, id=st.just("x")), CityPatch, catalog.city_patch_from_proto,
     lambda patch: catalog.city_patch_to_proto("x", patch)),
    ("vendor", requests(catalog_pb.Vendor, id=st.just("x"), country=DE), VendorPatch,
     catalog.vendor_patch_from_proto, lambda patch: catalog.vendor_patch_to_proto("x", patch)),
    ("cost key", requests(catalog_pb.CostKey, id=st.just("x")), CostKeyPatch,
     catalog.cost_key_patch_from_proto, lambda patch: catalog.cost_key_patch_to_proto("x", patch)),
    ("round", requests(demand_pb.Round, id=st.just("x"), scope_cpv_prefixes=CPV_PREFIX), RoundPatch,
     demand.round_patch_from_proto, lambda patch: demand.round_patch_to_proto("x", patch)),
    ("line", requests(demand_pb.Line, round_id=st.just("r"), id=st.just("x")), LinePatch,
     demand.line_patch_from_proto, lambda patch: demand.line_patch_to_proto("r", "x", patch)),
    ("tender", requests(tenders_pb.Tender, id=st.just("x")), TenderPatch, tenders.tender_patch_from_proto,
     lambda patch: tenders.tender_patch_to_proto("x", patch)),
]  # fmt: skip


def _changes(model: type[BaseModel]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(sorted(set(model.model_fields) - {"version"})), min_size=1, unique=True)


@pytest.mark.parametrize(("name", "sent", "model", "from_proto", "to_proto"), PATCHES, ids=[p[0] for p in PATCHES])
def test_a_patch_survives_the_round_trip_with_its_mask(
    name: str,
    sent: st.SearchStrategy[Any],
    model: type[BaseModel],
    from_proto: Callable[..., Any],
    to_proto: Callable[..., Message],
) -> None:
    @ROUND_TRIPS
    @given(sent, _changes(model), st.booleans())
    def round_trip(full: Message, fields: list[str], clear: bool) -> None:
        patch = _valid(lambda: from_proto(full, fields))
        if clear:  # the fields that may be cleared, sent as null
            nulls = {name: None for name in fields if name in getattr(model, "clearable", ())}
            patch = model.model_validate({**patch.model_dump(exclude_unset=True), **nulls})
        message, mask = to_proto(patch), update_mask(patch)
        assert mask.paths == sorted(fields)
        again = from_proto(message, list(mask.paths))
        assert again.model_dump(exclude_unset=True) == patch.model_dump(exclude_unset=True)
        assert to_proto(again) == message

    round_trip()


@given(requests(demand_pb.ImportLinesRequest))
def test_import_rows_survive_the_round_trip(request: demand_pb.ImportLinesRequest) -> None:
    rows = demand.import_rows_from_proto(request.rows)
    assert demand.import_rows_to_proto(rows) == list(request.rows)


@pytest.mark.parametrize("mode", list(ImportMode))
def test_an_import_mode_survives_the_round_trip(mode: ImportMode) -> None:
    assert demand.import_mode_from_proto(demand.import_mode_to_proto(mode)) is mode


def test_import_rows_leave_the_columns_a_file_lacks_empty() -> None:
    (row,) = demand.import_rows_to_proto([SheetRow(2, {"sku": "LAPTOP-14", "quantity": "40"})])
    assert row == demand_pb.ImportRow(line=2, sku="LAPTOP-14", quantity="40")


@given(st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)), st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)))
def test_a_statement_request_survives_the_round_trip(start: dt.date, end: dt.date) -> None:
    request = contracts.statement_request_to_proto("bruchsal", start, end)
    assert contracts.statement_request_from_proto(request) == ("bruchsal", start, end)


# -- every conversion has its inverse ---------------------------------------------------------------


@pytest.mark.parametrize("module", SERDE_MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_every_to_proto_has_its_from_proto(module: ModuleType) -> None:
    functions = {name for name, _ in inspect.getmembers(module, inspect.isfunction) if not name.startswith("_")}
    own = {name for name in functions if getattr(module, name).__module__ == module.__name__}
    to = {name.removesuffix("_to_proto") for name in own if name.endswith("_to_proto")}
    back = {name.removesuffix("_from_proto") for name in own if name.endswith("_from_proto")}
    assert to == back
    assert own == {f"{kind}_to_proto" for kind in to} | {f"{kind}_from_proto" for kind in back}
