"""The demand service's messages and their REST models: rounds, lines and their history, the aggregation, imports."""

from __future__ import annotations

from collections.abc import Sequence

from civicpool.demand.v1 import demand_pb2 as pb
from civicpool_common.vocabulary import ImportMode, LineStatus, Priority, RoundStatus, to_proto, words_of

from civicpool_gateway.demand_schemas import (
    AggregationJson,
    CityQuantityJson,
    FieldChange,
    ImportResult,
    ItemTotalJson,
    Line,
    LineFields,
    LineHistory,
    LineListParams,
    LinePatch,
    LineVersion,
    Round,
    RoundFields,
    RoundListParams,
    RoundPatch,
)
from civicpool_gateway.schemas import Page
from civicpool_gateway.serde.fields import (
    cursor_or_none,
    day_or_none,
    day_text,
    page_request,
    text_or_none,
    time_or_none,
    timestamp_or_none,
    to_timestamp,
    word,
)
from civicpool_gateway.uploads import SheetRow

ROUND_STATUSES = words_of(pb.RoundStatus, RoundStatus)
LINE_STATUSES = words_of(pb.LineStatus, LineStatus)
PRIORITIES = words_of(pb.Priority, Priority)
IMPORT_MODES = words_of(pb.ImportMode, ImportMode)


# -- rounds --------------------------------------------------------------------


def round_from_proto(message: pb.Round) -> Round:
    return Round(
        id=message.id,
        title=message.title,
        description=message.description,
        owner_city_id=message.owner_city_id,
        opens_at=time_or_none(message.HasField("opens_at"), message.opens_at),
        closes_at=time_or_none(message.HasField("closes_at"), message.closes_at),
        status=word(message.status, ROUND_STATUSES),
        version=message.version,
        created_by=message.created_by,
        created_at=time_or_none(message.HasField("created_at"), message.created_at),
        scope_item_ids=list(message.scope_item_ids),
        scope_cpv_prefixes=list(message.scope_cpv_prefixes),
        status_changed_at=time_or_none(message.HasField("status_changed_at"), message.status_changed_at),
        status_changed_by=message.status_changed_by,
        cancel_reason=text_or_none(message.cancel_reason),
        tender_id=text_or_none(message.tender_id),
    )


def round_to_proto(round_: Round) -> pb.Round:
    return pb.Round(
        id=round_.id,
        title=round_.title,
        description=round_.description,
        owner_city_id=round_.owner_city_id,
        opens_at=to_timestamp(round_.opens_at),
        closes_at=to_timestamp(round_.closes_at),
        status=to_proto(round_.status, pb.RoundStatus, RoundStatus),
        version=round_.version,
        created_by=round_.created_by,
        created_at=to_timestamp(round_.created_at),
        scope_item_ids=round_.scope_item_ids,
        scope_cpv_prefixes=round_.scope_cpv_prefixes,
        status_changed_at=timestamp_or_none(round_.status_changed_at),
        status_changed_by=round_.status_changed_by,
        cancel_reason=round_.cancel_reason or "",
        tender_id=round_.tender_id or "",
    )


def round_fields_to_proto(fields: RoundFields) -> pb.Round:
    """A new round's fields (CreateRound)."""
    return pb.Round(
        title=fields.title,
        description=fields.description,
        opens_at=to_timestamp(fields.opens_at),
        closes_at=to_timestamp(fields.closes_at),
        scope_item_ids=fields.scope_item_ids,
        scope_cpv_prefixes=fields.scope_cpv_prefixes,
    )


def round_fields_from_proto(message: pb.Round) -> RoundFields:
    return RoundFields(
        title=message.title,
        description=message.description,
        opens_at=time_or_none(message.HasField("opens_at"), message.opens_at),
        closes_at=time_or_none(message.HasField("closes_at"), message.closes_at),
        scope_item_ids=list(message.scope_item_ids),
        scope_cpv_prefixes=list(message.scope_cpv_prefixes),
    )


def round_patch_to_proto(round_id: str, patch: RoundPatch) -> pb.Round:
    """The round with the fields a PATCH changes (UpdateRound; `fields.update_mask` names them)."""
    return pb.Round(
        id=round_id,
        title=patch.title or "",
        description=patch.description or "",
        opens_at=timestamp_or_none(patch.opens_at),
        closes_at=timestamp_or_none(patch.closes_at),
        scope_item_ids=patch.scope_item_ids or (),
        scope_cpv_prefixes=patch.scope_cpv_prefixes or (),
    )


def round_patch_from_proto(message: pb.Round, mask: list[str]) -> RoundPatch:
    values = {
        "title": message.title,
        "description": message.description,
        "opens_at": time_or_none(message.HasField("opens_at"), message.opens_at),
        "closes_at": time_or_none(message.HasField("closes_at"), message.closes_at),
        "scope_item_ids": list(message.scope_item_ids),
        "scope_cpv_prefixes": list(message.scope_cpv_prefixes),
    }
    return RoundPatch.model_validate({name: values[name] for name in mask})


def rounds_query_to_proto(params: RoundListParams) -> pb.ListRoundsRequest:
    return pb.ListRoundsRequest(page=page_request(params), status=to_proto(params.status, pb.RoundStatus, RoundStatus))


def rounds_query_from_proto(request: pb.ListRoundsRequest) -> RoundListParams:
    return RoundListParams(
        limit=request.page.limit, cursor=request.page.cursor or None, status=word(request.status, ROUND_STATUSES)
    )


def rounds_page_from_proto(reply: pb.ListRoundsResponse) -> Page[Round]:
    return Page[Round](data=[round_from_proto(m) for m in reply.rounds], next_cursor=cursor_or_none(reply.next_cursor))


def rounds_page_to_proto(page: Page[Round]) -> pb.ListRoundsResponse:
    return pb.ListRoundsResponse(rounds=[round_to_proto(r) for r in page.data], next_cursor=page.next_cursor or "")


# -- lines ---------------------------------------------------------------------


def line_from_proto(message: pb.Line) -> Line:
    return Line(
        id=message.id,
        round_id=message.round_id,
        city_id=message.city_id,
        item_id=message.item_id,
        quantity=message.quantity,
        needed_by=day_or_none(message.needed_by),
        justification=message.justification,
        priority=word(message.priority, PRIORITIES),
        status=word(message.status, LINE_STATUSES),
        version=message.version,
        created_by=message.created_by,
        created_at=time_or_none(message.HasField("created_at"), message.created_at),
        updated_by=message.updated_by,
        updated_at=time_or_none(message.HasField("updated_at"), message.updated_at),
    )


def line_to_proto(line: Line) -> pb.Line:
    return pb.Line(
        id=line.id,
        round_id=line.round_id,
        city_id=line.city_id,
        item_id=line.item_id,
        quantity=line.quantity,
        needed_by=day_text(line.needed_by),
        justification=line.justification,
        priority=to_proto(line.priority, pb.Priority, Priority),
        status=to_proto(line.status, pb.LineStatus, LineStatus),
        version=line.version,
        created_by=line.created_by,
        created_at=to_timestamp(line.created_at),
        updated_by=line.updated_by,
        updated_at=to_timestamp(line.updated_at),
    )


def line_fields_to_proto(round_id: str, city_id: str, fields: LineFields) -> pb.Line:
    """A new line of `city_id` (the body's, else the caller's own city) in a round (CreateLine)."""
    return pb.Line(
        round_id=round_id,
        city_id=city_id,
        item_id=fields.item_id,
        quantity=fields.quantity,
        needed_by=day_text(fields.needed_by),
        justification=fields.justification,
        priority=to_proto(fields.priority, pb.Priority, Priority),
    )


def line_fields_from_proto(message: pb.Line) -> LineFields:
    return LineFields(
        item_id=message.item_id,
        quantity=message.quantity,
        needed_by=day_or_none(message.needed_by),
        justification=message.justification,
        priority=word(message.priority, PRIORITIES),
        city_id=message.city_id or None,
    )


def line_patch_to_proto(round_id: str, line_id: str, patch: LinePatch) -> pb.Line:
    """The line with the fields a PATCH changes (UpdateLine; `fields.update_mask` names them)."""
    return pb.Line(
        round_id=round_id,
        id=line_id,
        quantity=patch.quantity or 0,
        needed_by=day_text(patch.needed_by),
        justification=patch.justification or "",
        priority=to_proto(patch.priority, pb.Priority, Priority),
    )


def line_patch_from_proto(message: pb.Line, mask: list[str]) -> LinePatch:
    values = {
        "quantity": message.quantity,
        "needed_by": day_or_none(message.needed_by),
        "justification": message.justification,
        "priority": word(message.priority, PRIORITIES),
    }
    return LinePatch.model_validate({name: values[name] for name in mask})


def lines_query_to_proto(round_id: str, params: LineListParams) -> pb.ListLinesRequest:
    return pb.ListLinesRequest(
        page=page_request(params),
        round_id=round_id,
        city_id=params.city_id or "",
        item_id=params.item_id or "",
        status=to_proto(params.status, pb.LineStatus, LineStatus),
    )


def lines_query_from_proto(request: pb.ListLinesRequest) -> LineListParams:
    return LineListParams(
        limit=request.page.limit,
        cursor=request.page.cursor or None,
        city_id=request.city_id or None,
        item_id=request.item_id or None,
        status=word(request.status, LINE_STATUSES),
    )


def lines_page_from_proto(reply: pb.ListLinesResponse) -> Page[Line]:
    return Page[Line](data=[line_from_proto(m) for m in reply.lines], next_cursor=cursor_or_none(reply.next_cursor))


def lines_page_to_proto(page: Page[Line]) -> pb.ListLinesResponse:
    return pb.ListLinesResponse(lines=[line_to_proto(line) for line in page.data], next_cursor=page.next_cursor or "")


def line_version_from_proto(message: pb.LineVersion) -> LineVersion:
    return LineVersion(
        version=message.version,
        change=message.change,
        changed_by=message.changed_by,
        changed_at=time_or_none(message.HasField("changed_at"), message.changed_at),
        changes=[FieldChange(field=c.field, old_value=c.old_value, new_value=c.new_value) for c in message.changes],
        import_id=text_or_none(message.import_id),
    )


def line_version_to_proto(version: LineVersion) -> pb.LineVersion:
    return pb.LineVersion(
        version=version.version,
        change=version.change,
        changed_by=version.changed_by,
        changed_at=to_timestamp(version.changed_at),
        changes=[pb.FieldChange(field=c.field, old_value=c.old_value, new_value=c.new_value) for c in version.changes],
        import_id=version.import_id or "",
    )


def line_history_from_proto(message: pb.LineHistory) -> LineHistory:
    return LineHistory(
        line=line_from_proto(message.line), versions=[line_version_from_proto(v) for v in message.versions]
    )


def line_history_to_proto(history: LineHistory) -> pb.LineHistory:
    return pb.LineHistory(
        line=line_to_proto(history.line), versions=[line_version_to_proto(v) for v in history.versions]
    )


# -- the aggregation -----------------------------------------------------------


def aggregation_from_proto(message: pb.Aggregation) -> AggregationJson:
    """The Aggregation schema's JSON, straight from the message (no model: see AggregationJson)."""
    return {
        "round_id": message.round_id,
        "items": [
            {
                "item_id": i.item_id, "sku": i.sku, "name": i.name, "unit": i.unit,
                "reference_price_cents": i.reference_price_cents, "total_quantity": i.total_quantity,
                "city_count": i.city_count, "line_count": i.line_count, "estimated_cents": i.estimated_cents,
                "cities": [
                    {"city_id": city, "quantity": quantity, "line_count": lines, "estimated_cents": cents}
                    for city, quantity, lines, cents in zip(
                        i.city_ids, i.city_quantities, i.city_line_counts, i.city_estimated_cents, strict=True
                    )
                ],
            }
            for i in message.items
        ],
        "total_quantity": message.total_quantity,
        "total_estimated_cents": message.total_estimated_cents,
        "city_count": message.city_count,
        "view": message.view,
        "view_city_id": text_or_none(message.view_city_id),
    }  # fmt: skip


def _item_total_to_proto(item: ItemTotalJson) -> pb.ItemTotal:
    cities: list[CityQuantityJson] = item["cities"]
    return pb.ItemTotal(
        item_id=item["item_id"],
        sku=item["sku"],
        name=item["name"],
        unit=item["unit"],
        reference_price_cents=item["reference_price_cents"],
        total_quantity=item["total_quantity"],
        city_count=item["city_count"],
        line_count=item["line_count"],
        estimated_cents=item["estimated_cents"],
        city_ids=[c["city_id"] for c in cities],
        city_quantities=[c["quantity"] for c in cities],
        city_line_counts=[c["line_count"] for c in cities],
        city_estimated_cents=[c["estimated_cents"] for c in cities],
    )


def aggregation_to_proto(aggregation: AggregationJson) -> pb.Aggregation:
    return pb.Aggregation(
        round_id=aggregation["round_id"],
        items=[_item_total_to_proto(i) for i in aggregation["items"]],
        total_quantity=aggregation["total_quantity"],
        total_estimated_cents=aggregation["total_estimated_cents"],
        city_count=aggregation["city_count"],
        view=aggregation["view"],
        view_city_id=aggregation["view_city_id"] or "",
    )


# -- imports -------------------------------------------------------------------


def import_rows_to_proto(rows: Sequence[SheetRow]) -> list[pb.ImportRow]:
    """A spreadsheet's rows of text, by template field, as the demand service checks them."""
    return [
        pb.ImportRow(
            line=row.line,
            sku=row.values.get("sku", ""),
            cpv_code=row.values.get("cpv_code", ""),
            name=row.values.get("name", ""),
            quantity=row.values.get("quantity", ""),
            needed_by=row.values.get("needed_by", ""),
            justification=row.values.get("justification", ""),
            priority=row.values.get("priority", ""),
        )
        for row in rows
    ]


def import_rows_from_proto(rows: Sequence[pb.ImportRow]) -> list[SheetRow]:
    return [
        SheetRow(
            row.line,
            {
                "sku": row.sku,
                "cpv_code": row.cpv_code,
                "name": row.name,
                "quantity": row.quantity,
                "needed_by": row.needed_by,
                "justification": row.justification,
                "priority": row.priority,
            },
        )
        for row in rows
    ]


def import_mode_to_proto(mode: ImportMode) -> pb.ImportMode.ValueType:
    number: pb.ImportMode.ValueType = to_proto(mode, pb.ImportMode, ImportMode)
    return number


def import_mode_from_proto(number: pb.ImportMode.ValueType) -> ImportMode | None:
    return word(number, IMPORT_MODES)


def import_result_from_proto(message: pb.ImportResult) -> ImportResult:
    return ImportResult(
        import_id=message.import_id,
        rows=message.rows,
        created=message.created,
        withdrawn=message.withdrawn,
        unchanged=message.unchanged,
        replayed=message.replayed,
        imported_at=time_or_none(message.HasField("imported_at"), message.imported_at),
        imported_by=message.imported_by,
    )


def import_result_to_proto(result: ImportResult) -> pb.ImportResult:
    return pb.ImportResult(
        import_id=result.import_id,
        rows=result.rows,
        created=result.created,
        withdrawn=result.withdrawn,
        unchanged=result.unchanged,
        replayed=result.replayed,
        imported_at=to_timestamp(result.imported_at),
        imported_by=result.imported_by,
    )
