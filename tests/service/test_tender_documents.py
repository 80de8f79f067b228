"""Tender and bid documents on real databases (SQLite and PostgreSQL): versions, limits, who reads what, the
6-day rule, the log and the vendors' e-mail event, and downloads read piece by piece."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os

import pytest
from civicpool_catalog.service import VENDORS, CatalogService
from civicpool_common.database import session_factory, utc_now
from civicpool_common.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied, VersionConflict
from civicpool_common.lifecycle import StateConflict
from civicpool_tenders import deadlines
from civicpool_tenders.documents import CHUNK_BYTES, DocumentService, Limits, Owner, Upload
from civicpool_tenders.models import NotificationOrder, Tender
from sqlalchemy import select, update

from tests.service import test_tenders
from tests.service.conftest import ADMIN, LEAD, OTHER_LEAD, city_it, finance
from tests.service.test_tenders import RHEINTAL, SCHWARZWALD, Tendering, bid
from tests.support.in_process import InProcessCatalog

tendering = test_tenders.tendering  # the fixture: real demand and catalog services in-process
MIB = 1024 * 1024
LIMITS = Limits(file_bytes=3 * MIB, owner_bytes=5 * MIB)


def pdf(size: int = 2_000, seed: bytes = b"") -> bytes:
    """A file that is a PDF by its first bytes, of `size` bytes (the rest varies by `seed`)."""
    body = (hashlib.sha256(seed).digest() + os.urandom(64)) * (size // 96 + 1)
    return (b"%PDF-1.7\n" + body)[:size]


def documents(tendering: Tendering, catalog: CatalogService) -> DocumentService:
    return DocumentService(session_factory(tendering.engine), InProcessCatalog(catalog), LIMITS)


async def _set_due(tendering: Tendering, tender_id: str, due: dt.datetime) -> None:
    async with tendering.engine.begin() as connection:
        await connection.execute(update(Tender).where(Tender.id == tender_id).values(bids_due_at=due))


async def _read_all(service: DocumentService, owner: Owner, document_id: str, version: int = 0) -> bytes:
    data, offset = b"", 0
    while True:
        _, piece = await service.read(ADMIN, owner, document_id, version, offset)
        if not piece:
            return data
        assert len(piece) <= CHUNK_BYTES
        data, offset = data + piece, offset + len(piece)


async def test_versions_keep_every_file_and_downloads_read_it_back_in_pieces(
    tendering: Tendering, catalog: CatalogService
) -> None:
    service = documents(tendering, catalog)
    view = await tendering.tenders.create_tender(LEAD, await tendering.closed_round(), "", "", [])
    owner = Owner(view.tender.id)
    first, second = pdf(int(2.5 * MIB), b"1"), pdf(1_000, b"2")
    added = await service.add(LEAD, owner, Upload("Leistungsbeschreibung.pdf", first))
    assert added.document.title == "Leistungsbeschreibung.pdf"
    assert [(v.version, v.sha256, v.size_bytes) for v in added.versions] == [
        (1, hashlib.sha256(first).hexdigest(), len(first))
    ]
    with pytest.raises(AlreadyExists):  # the same title again is a new version, not a second document
        await service.add(LEAD, owner, Upload("Leistungsbeschreibung.pdf", second))
    with pytest.raises(VersionConflict):  # the version it replaces must be the current one
        await service.add(LEAD, owner, Upload("x.pdf", second, document_id=added.document.id, expected_version=2))
    changed = await service.add(LEAD, owner, Upload("LB v2.pdf", second, document_id=added.document.id,
                                                    expected_version=1))  # fmt: skip
    assert [v.version for v in changed.versions] == [1, 2] and changed.document.title == "Leistungsbeschreibung.pdf"
    assert await _read_all(service, owner, added.document.id) == second
    assert await _read_all(service, owner, added.document.id, version=1) == first  # 3 pieces, every byte kept
    with pytest.raises(NotFound):
        await service.read(ADMIN, owner, added.document.id, 3, 0)
    listed = await service.list(LEAD, owner, 0, "")
    assert [(d.document.id, len(d.versions)) for d in listed.records] == [(added.document.id, 2)]
    events = [e.action for e in (await tendering.tenders.get_tender(LEAD, view.tender.id)).events]
    assert events[-2:] == ["document_added", "document_changed"]


async def test_limits_per_file_and_per_tender_refuse_and_change_nothing(
    tendering: Tendering, catalog: CatalogService
) -> None:
    service = documents(tendering, catalog)
    view = await tendering.tenders.create_tender(LEAD, await tendering.closed_round(), "", "", [])
    owner = Owner(view.tender.id)
    with pytest.raises(InvalidArgument, match="at most 3 MB"):
        await service.add(LEAD, owner, Upload("gross.pdf", pdf(3 * MIB + 1)))
    await service.add(LEAD, owner, Upload("a.pdf", pdf(3 * MIB)))
    with pytest.raises(InvalidArgument, match="take 3 MB of the 5 MB"):
        await service.add(LEAD, owner, Upload("b.pdf", pdf(2 * MIB + 1)))
    await service.add(LEAD, owner, Upload("b.pdf", pdf(2 * MIB)))  # exactly at the limit
    assert [d.document.title for d in (await service.list(LEAD, owner, 0, "")).records] == ["a.pdf", "b.pdf"]
    for name, content, words in (("x.pdf", b"MZ\x90\x00 not a pdf", "by its content"),
                                 ("x.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old Office"),
                                 ("x.docx", pdf(), "its name ends in '.docx'"),
                                 ("\x00\x01", pdf(), "no name")):  # fmt: skip
        with pytest.raises(InvalidArgument, match=words):
            await service.add(LEAD, owner, Upload(name, content))
    assert len((await service.list(LEAD, owner, 0, "")).records) == 2


async def test_who_reads_and_who_writes_a_tenders_documents(tendering: Tendering, catalog: CatalogService) -> None:
    service = documents(tendering, catalog)
    view = await tendering.tenders.create_tender(LEAD, await tendering.closed_round(), "", "", [])
    owner, content = Owner(view.tender.id), pdf()
    added = await service.add(LEAD, owner, Upload("Vertrag.pdf", content))
    for writer in (OTHER_LEAD, city_it("ettlingen"), RHEINTAL, ADMIN):
        with pytest.raises(PermissionDenied):
            await service.add(writer, owner, Upload("Fremd.pdf", pdf()))
    # A draft: the lead city's leads and the admins; cities and vendors do not see the tender yet.
    for reader in (LEAD, ADMIN):
        assert (await service.get(reader, owner, added.document.id)).document.id == added.document.id
    for hidden in (city_it("ettlingen"), city_it("bruchsal"), RHEINTAL):
        with pytest.raises(NotFound):
            await service.get(hidden, owner, added.document.id)
    with pytest.raises(PermissionDenied):  # a lead of another city reads the tender, not its documents
        await service.list(OTHER_LEAD, owner, 0, "")
    due = utc_now() + dt.timedelta(days=14)
    view = await tendering.tenders.update_tender(LEAD, view.tender.id, {"bids_due_at": due}, view.tender.version)
    await tendering.tenders.transition(LEAD, view.tender.id, "publish", 0)
    for reader in (city_it("ettlingen"), finance("ettlingen"), city_it("bruchsal"), RHEINTAL, SCHWARZWALD):
        assert (await service.read(reader, owner, added.document.id, 0, 0))[1] == content
        assert [d.document.id for d in (await service.list(reader, owner, 0, "")).records] == [added.document.id]
    with pytest.raises(NotFound):  # Rastatt takes no part: the tender is hidden from its IT
        await service.list(city_it("rastatt"), owner, 0, "")
    with pytest.raises(NotFound):  # another tender's owner never reaches this document
        await service.get(LEAD, Owner("01a219d6-0000-7000-8000-00000000dead"), added.document.id)


async def test_after_publication_a_change_needs_6_berlin_days_and_tells_every_vendor(
    tendering: Tendering, catalog: CatalogService
) -> None:
    service = documents(tendering, catalog)
    view = await tendering.published()
    owner = Owner(view.tender.id)
    added = await service.add(LEAD, owner, Upload("Fragen.pdf", pdf()))
    assert added.versions[0].after_publication
    await _set_due(tendering, view.tender.id, utc_now() + dt.timedelta(days=5, hours=23))
    with pytest.raises(StateConflict, match=r"§ 20 \(3\) VgV") as refused:
        await service.add(LEAD, owner, Upload("Fragen.pdf", pdf(), document_id=added.document.id))
    assert "extend bids_due_at to" in str(refused.value)
    await _set_due(tendering, view.tender.id, utc_now() + dt.timedelta(days=6, minutes=5))
    changed = await service.add(LEAD, owner, Upload("Fragen.pdf", pdf(), document_id=added.document.id))
    assert [v.after_publication for v in changed.versions] == [True, True]
    async with tendering.engine.connect() as connection:
        orders = (await connection.execute(select(NotificationOrder.event_key, NotificationOrder.request))).all()
    notices = {key: json.loads(request) for key, request in orders if key.startswith("tenders/document/")}
    assert set(notices) == {f"tenders/document/{added.document.id}/1", f"tenders/document/{added.document.id}/2"}
    notice = notices[f"tenders/document/{added.document.id}/2"]
    assert notice["kind"] == "tender_document_changed" and notice["audiences"] == [{"role": "vendor"}]
    assert notice["values"]["version"] == "2" and notice["values"]["document_title"] == "Fragen.pdf"
    await tendering.deadline_passes(view.tender.id)
    with pytest.raises(StateConflict, match="documents change only"):
        await service.add(LEAD, owner, Upload("Neu.pdf", pdf()))


@pytest.mark.parametrize(
    ("due", "cutoff"),
    [  # Berlin wall-clock days: across a switch of summer time (29 March, 25 October 2026) the cutoff keeps 12:00
        ("2026-04-02T10:00:00+00:00", "2026-03-27T11:00:00+00:00"),
        ("2026-10-30T11:00:00+00:00", "2026-10-24T10:00:00+00:00"),
        ("2027-01-15T11:00:00+00:00", "2027-01-09T11:00:00+00:00"),
    ],
)
def test_the_change_cutoff_is_6_days_on_the_berlin_clock(due: str, cutoff: str) -> None:
    found = deadlines.change_cutoff(dt.datetime.fromisoformat(due))
    assert found == dt.datetime.fromisoformat(cutoff)
    assert deadlines.change_cutoff(deadlines.earliest_deadline_for_change(found)) == found


async def test_a_bids_documents_are_sealed_with_it_and_opened_with_it(
    tendering: Tendering, catalog: CatalogService
) -> None:
    service = documents(tendering, catalog)
    view = await tendering.published()
    lot = tendering.lot_of(view, tendering.laptop)
    offer = await tendering.tenders.submit_bid(RHEINTAL, view.tender.id, bid(lot, tendering.laptop, 90_000))
    owner = Owner(view.tender.id, offer.bid.id)
    attached = await service.add(RHEINTAL, owner, Upload("Angebot.pdf", pdf(seed=b"offer")))
    assert not attached.versions[0].after_publication  # a bid's document tells nobody
    assert [e.action for e in (await tendering.tenders.get_tender(LEAD, view.tender.id)).events][-1] == "published"
    with pytest.raises(NotFound):  # another vendor's bid answers as a missing one
        await service.list(SCHWARZWALD, owner, 0, "")
    with pytest.raises(NotFound):
        await service.add(SCHWARZWALD, owner, Upload("Fremd.pdf", pdf()))
    with pytest.raises(StateConflict, match="sealed"):
        await service.list(LEAD, owner, 0, "")
    with pytest.raises(PermissionDenied):
        await service.list(city_it("bruchsal"), owner, 0, "")
    record = await catalog.get(VENDORS, "rheintal")  # a deactivated vendor adds nothing, as it bids nothing
    await catalog.set_active(ADMIN, VENDORS, "rheintal", active=False, expected_version=record.version)
    with pytest.raises(PermissionDenied, match="not an active vendor"):
        await service.add(RHEINTAL, owner, Upload("Nachweis.pdf", pdf()))
    record = await catalog.get(VENDORS, "rheintal")
    await catalog.set_active(ADMIN, VENDORS, "rheintal", active=True, expected_version=record.version)
    await tendering.deadline_passes(view.tender.id)
    with pytest.raises(StateConflict, match="late bids are refused"):
        await service.add(RHEINTAL, owner, Upload("Nachtrag.pdf", pdf()))
    await tendering.tenders.transition(LEAD, view.tender.id, "close_bidding", 0)
    opened = await service.list(LEAD, owner, 0, "")
    assert [d.document.title for d in opened.records] == ["Angebot.pdf"]
    assert await _read_all(service, owner, attached.document.id) == await _read_all(
        service, owner, attached.document.id, version=1
    )
