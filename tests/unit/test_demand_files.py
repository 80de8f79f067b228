"""Demand files as German cities make them (tests/support/demand_files.py), through the reader and the demand
service's row checks: each is read with Excel's row numbers, or refused with the row, the file's own heading
and the sheet in a German message; a refusal of the whole file is German and English."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

import pytest
from civicpool_common.errors import InvalidArgument
from civicpool_common.messages import Text
from civicpool_common.references import Resolution
from civicpool_demand import imports
from civicpool_demand.clients import CatalogItem
from civicpool_gateway import uploads
from civicpool_gateway.problems import _violation
from civicpool_gateway.routers.imports import in_the_files_words

from tests.support.demand_files import DemandFile, Problem, demand_files

TODAY = dt.date(2026, 12, 4)
FILES = demand_files(TODAY)
# The demo catalog's items these files name (cli/src/civicpool_cli/demo.py), as the catalog answers them.
ITEMS = [
    CatalogItem("i-laptop", "LAPTOP-14", "Notebook 14 Zoll, 16 GB RAM, 512 GB SSD", "Stück", "30213100-6", 89_900,
                True),
    CatalogItem("i-webcam", "WEBCAM-FHD", "Webcam Full HD mit Mikrofon", "Stück", "30237240-3", 6_900, True),
    CatalogItem("i-headset", "HEADSET-USB", "Headset USB-C, beidseitig, mit Geräuschunterdrückung", "Stück",
                "32342100-3", 4_900, True),
    CatalogItem("i-dock", "DOCK-USBC", "Dockingstation USB-C mit 2 Monitoranschlüssen", "Stück", "30237000-9",
                15_900, True),
]  # fmt: skip


class Catalog:
    """The catalog's answers for these items: SKUs exactly as stored (the catalog compares them exactly)."""

    async def resolve(self, cities: Sequence[str], vendors: Sequence[str], items: Sequence[str]) -> Resolution:
        raise AssertionError("an import resolves no references")

    async def by_ids(self, ids: Sequence[str]) -> dict[str, CatalogItem]:
        return {i.id: i for i in ITEMS if i.id in ids}

    async def by_skus(self, skus: Sequence[str]) -> dict[str, CatalogItem]:
        return {i.sku: i for i in ITEMS if i.sku in skus}

    async def by_cpv_code(self, cpv_code: str) -> list[CatalogItem]:
        return [i for i in ITEMS if i.cpv_code == cpv_code]

    async def active_skus(self, at_most: int) -> list[str]:
        return [i.sku for i in ITEMS if i.active][:at_most]


def raw(row: uploads.SheetRow) -> imports.RawRow:
    fields = ("sku", "cpv_code", "name", "quantity", "needed_by", "justification", "priority")
    return imports.RawRow(row.line, *(row.values.get(f, "") for f in fields))


def test_there_are_at_least_30_files_of_every_kind() -> None:
    assert len(FILES) >= 30
    assert len({f.case for f in FILES}) == len(FILES)
    kinds = {f.file_name.rsplit(".", 1)[1] for f in FILES}
    assert {"xlsx", "xls", "csv", "txt", "ods"} <= kinds
    assert sum(f.accepted for f in FILES) >= 10 and sum(bool(f.problems) for f in FILES) >= 5


@pytest.mark.parametrize("demand_file", FILES, ids=[f.case for f in FILES])
def test_a_demand_file_is_read_or_refused_as_a_clerk_expects(demand_file: DemandFile) -> None:
    if demand_file.too_large:
        assert len(demand_file.content) > uploads.MAX_UPLOAD_BYTES  # the gateway refuses it before reading
        return
    if demand_file.refusal is not None:
        with pytest.raises(uploads.UnreadableFile) as refused:
            uploads.read_upload(demand_file.content, demand_file.file_name)
        german, english = demand_file.refusal
        assert german in refused.value.text.render("de")
        assert english in refused.value.text.render("en")
        return
    upload = uploads.read_upload(demand_file.content, demand_file.file_name)
    assert upload.sheet == demand_file.sheet
    try:
        lines = asyncio.run(imports.resolve_rows([raw(r) for r in upload.rows], Catalog(), lambda _: True, TODAY))
    except InvalidArgument as error:
        found = []
        for violation in error.violations:
            shown = in_the_files_words(_violation(violation.field, violation.description), upload)
            assert isinstance(shown["message"], Text)
            found.append(Problem(shown["line"], shown["field"], shown.get("column", ""), shown["message"].render("de")))
        assert found == demand_file.problems
        return
    assert not demand_file.problems
    by_id = {i.id: i for i in ITEMS}
    named_by_sku = {r.line: bool(r.values.get("sku")) for r in upload.rows}
    assert [
        (line.line, by_id[line.item_id].sku if named_by_sku[line.line] else by_id[line.item_id].name, line.quantity)
        for line in lines
    ] == demand_file.read
