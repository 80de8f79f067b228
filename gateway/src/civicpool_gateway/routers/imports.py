"""Spreadsheet import of a city's demand, and the template to fill in.

The gateway reads the file into rows of text (uploads.py); the demand
service checks every row and imports all of them or none.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from civicpool_common.auth import Role
from civicpool_common.messages import N_, Text
from civicpool_common.reasons import Reason
from civicpool_common.vocabulary import ImportMode
from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile, status
from starlette.concurrency import run_in_threadpool

from civicpool_gateway import downloads, uploads
from civicpool_gateway.auth import Caller, CallerDep, requires
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.demand_schemas import ImportResult
from civicpool_gateway.problems import Problem
from civicpool_gateway.routers.rounds import RoundId

router = APIRouter(tags=["demand"])
IMPORTS_PATH = r"/api/v1/rounds/[^/]+/imports"
MULTIPART_OVERHEAD_BYTES = 64 * 1024  # the form's boundaries and the mode field around the file
MAX_IMPORT_BODY_BYTES = uploads.MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES
_TOO_LARGE = N_(
    "the file is larger than {limit} MB. Files usually grow large from pictures embedded in a sheet, from thousands of formatted but empty rows, or from other sheets in the workbook: delete those (or copy only the demand list into a new workbook) and upload it again"  # noqa: E501
)
# The refusal of a file over the limit, by the router or (a body far over it) by the body limit before it.
TOO_LARGE = Text(_TOO_LARGE, limit=uploads.MAX_UPLOAD_BYTES // 1024 // 1024)
COLUMN_DOCS = "\n".join(f"- `{c.german}` / `{c.english}`: {c.meaning}" for c in uploads.TEMPLATE)


@router.get(
    "/rounds/import-template",
    summary="Download the demand import template",
    description="CSV (`;`, UTF-8) or XLSX (with a sheet explaining each column). Columns:\n\n" + COLUMN_DOCS,
    response_class=Response,
    responses={200: {"content": {downloads.XLSX_MEDIA_TYPE: {}, "text/csv": {}}}},
)
async def import_template(
    caller: CallerDep,
    format: Annotated[Literal["csv", "xlsx"], Query(description="csv or xlsx")] = "xlsx",
    language: Annotated[Literal["de", "en"], Query(description="Column headings in German or English")] = "de",
) -> Response:
    data = uploads.template(format, language)
    return downloads.attachment(
        data, format, "civicpool-bedarf-vorlage" if language == "de" else "civicpool-demand-template"
    )


@router.post(
    "/rounds/{id}/imports",
    summary="Import your city's demand from a spreadsheet",
    description=(
        "Upload CSV (`;`, `,` or tab; UTF-8, Windows-1252 or Excel's Unicode-Text), XLSX or ODS in the "
        "template's form (German or English headings; title rows above the heading row and a cover sheet "
        f"before the demand sheet are skipped). At most {uploads.MAX_UPLOAD_BYTES // 1024 // 1024} MB and "
        f"{uploads.MAX_DATA_ROWS:,} rows. Every row is checked; with any bad row nothing is imported "
        "and the answer lists each problem (422, `import-rejected`): `line` is the row as the spreadsheet "
        "program numbers it, `field` the template's field, `column` the heading the file used, `sheet` the "
        "sheet, and `message` says all of it in the reader's language.\n\n"
        "`mode=add` adds the file's lines (the same content again adds nothing: `replayed`); "
        "`mode=replace` makes your city's lines in the round equal to the file's (lines it repeats stay "
        "untouched, the others are withdrawn)."
    ),
    response_model=ImportResult,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": ImportResult, "description": "The same content was added before; nothing changed"}},
)
async def import_lines(
    id: RoundId,
    file: Annotated[UploadFile, File(description="The filled-in template, .csv or .xlsx")],
    caller: Annotated[Caller, Depends(requires(Role.CITY_IT))],
    services: ClientsDep,
    response: Response,
    mode: Annotated[ImportMode, Form(description="add (default) or replace")] = ImportMode.ADD,
) -> Any:
    content = await file.read(uploads.MAX_UPLOAD_BYTES + 1)
    if len(content) > uploads.MAX_UPLOAD_BYTES:
        raise Problem(Reason.PAYLOAD_TOO_LARGE, TOO_LARGE)
    file_name = file.filename or "upload"
    try:
        upload = await run_in_threadpool(uploads.read_upload, content, file_name)
    except uploads.UnreadableFile as error:
        raise Problem(Reason.UNREADABLE_FILE, error.text) from None
    city_id = caller.principal.city or ""
    try:
        result = await services.demand.import_lines(id, city_id, mode, file_name[:255], upload.rows, caller.token)
    except Problem as problem:
        problem.errors = [in_the_files_words(error, upload) for error in problem.errors]
        raise
    if result.replayed:
        response.status_code = status.HTTP_200_OK
    return result


def in_the_files_words(error: Mapping[str, Any], upload: uploads.Upload) -> dict[str, Any]:
    """A row's problem as the person sees the file: the row as their program numbers it, the column by the
    heading they wrote, and the sheet. `line` and `field` stay as they are for programs; `column` and `sheet`
    are added, and the message says all of it."""
    if "line" not in error:
        return dict(error)
    column = upload.headings.get(error["field"])
    values = {"line": error["line"], "column": column, "sheet": upload.sheet, "message": error["message"]}
    if upload.sheet is not None and column is not None:
        message = Text("sheet '{sheet}', row {line}, column '{column}': {message}", **values)
    elif upload.sheet is not None:
        message = Text("sheet '{sheet}', row {line}: {message}", **values)
    elif column is not None:
        message = Text("row {line}, column '{column}': {message}", **values)
    else:
        message = Text("row {line}: {message}", **values)
    extra = {"column": column} if column is not None else {}
    if upload.sheet is not None:
        extra["sheet"] = upload.sheet
    return {**error, **extra, "message": message}
