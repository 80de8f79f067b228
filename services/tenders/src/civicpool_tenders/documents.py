"""Procurement documents: the tender's own (the lead city's) and each bid's (its vendor's, sealed with the bid).

Who reads them:
- a tender's documents: whoever sees the tender (access.py) and is of the network's admins, the lead city,
  a participating city or (once published) a vendor. So a draft's: the lead city's leads and the admins;
  a published tender's also the lead and participating cities' other users and every vendor. A lead of
  another city sees the tender, not its documents.
- a bid's documents: its vendor, always; the lead city's leads and the admins once the bids are opened
  (the same rule as the bid itself, access.require_bid_reader).

Each file is a version of its document, stored with its SHA-256 in the same transaction as its record, never
overwritten or deleted. After publication a tender document changes only while at least 6 Berlin calendar days
remain before the bids are due (§ 20 (3) VgV); every vendor is told of the change (e-mail, and the version is
marked on the tender's page); the change is in the event log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from civicpool_common import notify
from civicpool_common.auth import Principal, Role
from civicpool_common.database import integrity_violation, utc_now, write_transaction
from civicpool_common.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied, VersionConflict
from civicpool_common.ids import time_ordered_id
from civicpool_common.lifecycle import StateConflict
from civicpool_common.messages import N_, Labels, Text
from civicpool_common.paging import Page, PageWindow
from civicpool_common.vocabulary import BidStatus, TenderStatus
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_tenders import deadlines, file_types, repository, rules
from civicpool_tenders.access import active_vendor, lead_tender, require_bid_reader, vendor_only, visible_tender
from civicpool_tenders.clients import Catalog
from civicpool_tenders.models import Bid, Document, DocumentVersion, NotificationOrder, Tender, TenderEvent

CHUNK_BYTES = 1024 * 1024  # one piece of a download
MAX_TITLE = 200

_TOO_LATE = N_(
    "bids are due by {due}: less than 6 days before, a document changes only with a longer deadline (§ 20 (3) VgV); extend bids_due_at to {earliest} or later first"  # noqa: E501
)
_FILE_TOO_LARGE = N_("the file has {size:n} MB; a document may have at most {limit:n} MB")
_TENDER_FULL = N_(
    "the documents here take {used:n} MB of the {limit:n} MB allowed; this file ({size:n} MB) does not fit. Compress pictures in the files, or ask the network's admins to raise the limit"  # noqa: E501
)


@dataclass(frozen=True)
class Owner:
    """Where documents belong: a tender (bid_id "") or one bid of it."""

    tender_id: str
    bid_id: str = ""


@dataclass(frozen=True)
class DocumentView:
    document: Document
    versions: list[DocumentVersion]  # oldest first


@dataclass(frozen=True)
class Upload:
    file_name: str
    content: bytes
    title: str = ""
    document_id: str = ""  # "": a new document
    expected_version: int = 0


@dataclass(frozen=True)
class Limits:
    file_bytes: int
    owner_bytes: int  # all versions of a tender's (or one bid's) documents together


def _megabytes(size: int) -> int:
    """Whole MB (MiB), rounded up: a file of 25.1 MB is over a limit of 25."""
    return -(-size // (1024 * 1024))


class DocumentService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], catalog: Catalog, limits: Limits) -> None:
        self._sessions = sessions
        self._catalog = catalog
        self._limits = limits

    async def add(self, principal: Principal, owner: Owner, upload: Upload) -> DocumentView:
        """A new document, or a new version of one (upload.document_id)."""
        file_name = file_types.clean_file_name(upload.file_name)
        if len(upload.content) > self._limits.file_bytes:
            raise InvalidArgument.for_field("file", Text(_FILE_TOO_LARGE, size=_megabytes(len(upload.content)),
                                                         limit=_megabytes(self._limits.file_bytes)))  # fmt: skip
        found = file_types.file_type(upload.content)
        file_types.check_name(file_name, found)
        if owner.bid_id:  # a bid's document comes from an active vendor, as the bid itself
            principal.require_any_role(Role.VENDOR)
            await active_vendor(self._catalog, principal)
        title = (upload.title.strip() or file_name)[:MAX_TITLE] if not upload.document_id else ""
        now = utc_now()
        try:
            async with write_transaction(self._sessions) as session:
                tender, bid = await self._writable_owner(session, principal, owner, now)
                await self._check_room(session, owner, len(upload.content))
                document = await self._document_to_extend(session, owner, upload, title, principal, now)
                versions = await _versions(session, document.id)
                latest = versions[-1].version if versions else 0
                if upload.expected_version and upload.expected_version != latest:
                    raise VersionConflict(Text("document {id}", id=document.id), upload.expected_version, latest)
                after_publication = bid is None and tender.published_at is not None
                version = DocumentVersion(
                    document_id=document.id, version=latest + 1, tender_id=tender.id, bid_id=owner.bid_id,
                    file_name=file_name, media_type=found.media_type, size_bytes=len(upload.content),
                    sha256=hashlib.sha256(upload.content).hexdigest(), uploaded_by=principal.username,
                    uploaded_at=now, after_publication=after_publication, content=upload.content,
                )  # fmt: skip
                session.add(version)
                if bid is None:  # a bid's documents are sealed: nothing about them in the tender's log
                    detail = f"{document.title} v{version.version}: {file_name}, sha256 {version.sha256}"
                    action = "document_added" if version.version == 1 else "document_changed"
                    session.add(TenderEvent(tender_id=tender.id, action=action, actor=principal.username, at=now,
                                            detail=detail))  # fmt: skip
                if after_publication and not tender.external_platform:  # a recorded procedure has no bidders to tell
                    session.add(_change_notice(tender, document, version.version))
                await session.flush()
                return DocumentView(document, [*versions, version])
        except IntegrityError as error:  # the same title at once, or a version added at the same moment
            if integrity_violation(error) != "unique":  # a primary key is unique too
                raise
            raise AlreadyExists(
                Text("a document of this title was just added, or a version of it; read the documents again")
            ) from None

    async def list(self, principal: Principal, owner: Owner, limit: int, cursor: str) -> Page[DocumentView]:
        window = PageWindow.requested(limit, cursor)
        async with self._sessions() as session:
            await self._readable_owner(session, principal, owner)
            found = await repository.documents_after(session, owner.tender_id, owner.bid_id, window.after, window.fetch)
            page = window.close(found, lambda d: d.id)
            versions = await repository.versions_of(session, [d.id for d in page.records])
            return Page([DocumentView(d, versions.get(d.id, [])) for d in page.records], page.next_cursor)

    async def get(self, principal: Principal, owner: Owner, document_id: str) -> DocumentView:
        async with self._sessions() as session:
            await self._readable_owner(session, principal, owner)
            document = await _document(session, owner, document_id)
            return DocumentView(document, await _versions(session, document.id))

    async def read(
        self, principal: Principal, owner: Owner, document_id: str, version: int, offset: int
    ) -> tuple[DocumentVersion, bytes]:
        """One piece (CHUNK_BYTES at most) of a version's content from `offset`; empty at the end."""
        if offset < 0:
            raise InvalidArgument.for_field("offset", Text("must be at least {limit}", limit=0))
        async with self._sessions() as session:
            await self._readable_owner(session, principal, owner)
            document = await _document(session, owner, document_id)
            versions = await _versions(session, document.id)
            chosen = (
                versions[-1] if version == 0 and versions else next((v for v in versions if v.version == version), None)
            )
            if chosen is None:
                raise NotFound(Text("document {id} has no version {version}", id=document_id, version=version))
            if offset >= chosen.size_bytes:
                return chosen, b""
            return chosen, await repository.content_piece(session, document.id, chosen.version, offset, CHUNK_BYTES)

    # -- who may do what ---------------------------------------------------------------------

    async def _readable_owner(self, session: AsyncSession, principal: Principal, owner: Owner) -> None:
        tender = await visible_tender(session, principal, owner.tender_id)
        if not owner.bid_id:
            if not _reads_tender_documents(principal, tender):
                raise PermissionDenied(_ONLY_PARTIES)
            return
        bid = await repository.get_bid(session, tender.id, owner.bid_id, lock=False)
        own = bid is not None and vendor_only(principal) and bid.vendor_id == principal.own_vendor()
        if bid is None or (vendor_only(principal) and not own):
            raise NotFound(_no_bid(owner))  # the same for another vendor's bid
        if own:
            return
        require_bid_reader(principal, tender)
        if TenderStatus(tender.status) not in rules.OPENED or bid.status != BidStatus.SUBMITTED:
            raise StateConflict(Text("a bid's documents are sealed with it until bidding is closed"), tender.status)

    async def _writable_owner(
        self, session: AsyncSession, principal: Principal, owner: Owner, now: dt.datetime
    ) -> tuple[Tender, Bid | None]:
        """The tender (locked: one writer of its documents at a time), and the bid for a bid's document."""
        if not owner.bid_id:
            tender = await lead_tender(session, principal, owner.tender_id)
            _check_tender_documents_change(tender, now)
            return tender, None
        principal.require_any_role(Role.VENDOR)
        bidding = await repository.get_tender(session, owner.tender_id, lock="update")
        if bidding is None or bidding.published_at is None:
            raise NotFound(Text("tender {id} does not exist", id=owner.tender_id))
        bid = await repository.get_bid(session, bidding.id, owner.bid_id)
        if bid is None or bid.vendor_id != principal.own_vendor():
            raise NotFound(_no_bid(owner))  # the same for another vendor's bid
        rules.check_bids_accepted(bidding.status, bidding.bids_due_at, now)
        if bid.status != BidStatus.SUBMITTED:
            raise StateConflict(Text("the bid is withdrawn; submit a new one"), bidding.status)
        return bidding, bid

    async def _check_room(self, session: AsyncSession, owner: Owner, size: int) -> None:
        used = await repository.document_bytes(session, owner.tender_id, owner.bid_id)
        if used + size > self._limits.owner_bytes:
            raise InvalidArgument.for_field("file", Text(_TENDER_FULL, used=_megabytes(used), size=_megabytes(size),
                                                         limit=_megabytes(self._limits.owner_bytes)))  # fmt: skip

    async def _document_to_extend(
        self, session: AsyncSession, owner: Owner, upload: Upload, title: str, principal: Principal, now: dt.datetime
    ) -> Document:
        if upload.document_id:
            return await _document(session, owner, upload.document_id)
        existing = await repository.document_titled(session, owner.tender_id, owner.bid_id, title)
        if existing is not None:
            raise AlreadyExists(
                Text("there is a document titled '{title}' ({id}); upload the file as its new version", title=title,
                     id=existing),
                metadata={"document_id": existing},
            )  # fmt: skip
        document = Document(id=time_ordered_id(), tender_id=owner.tender_id, bid_id=owner.bid_id, title=title,
                            created_by=principal.username, created_at=now)  # fmt: skip
        session.add(document)
        return document


_ONLY_PARTIES = Text(
    "only the lead city, the participating cities, the network's admins and, once it is published, vendors read a tender's documents"  # noqa: E501
)


def _reads_tender_documents(principal: Principal, tender: Tender) -> bool:
    if principal.has_any_role([Role.NETWORK_ADMIN]) or principal.city == tender.lead_city_id:
        return True
    if tender.published_at is None:
        return False
    return vendor_only(principal) or (principal.city is not None and principal.city in tender.participating_city_ids)


def _check_tender_documents_change(tender: Tender, now: dt.datetime) -> None:
    if tender.status == TenderStatus.DRAFT or tender.external_platform:  # a procedure run elsewhere: its record
        return
    if tender.status != TenderStatus.PUBLISHED or tender.bids_due_at is None or now >= tender.bids_due_at:
        raise StateConflict(
            Text("the tender is {status}; its documents change only as a draft or while bids are open",
                 status=Labels("tender", tender.status)),
            tender.status,
        )  # fmt: skip
    deadlines.require_change_window(tender, now, _TOO_LATE)


def _no_bid(owner: Owner) -> Text:
    return Text("bid {bid} does not exist in tender {tender}", bid=owner.bid_id, tender=owner.tender_id)


async def _document(session: AsyncSession, owner: Owner, document_id: str) -> Document:
    document = await session.get(Document, document_id)
    if document is None or (document.tender_id, document.bid_id) != (owner.tender_id, owner.bid_id):
        raise NotFound(Text("document {id} does not exist", id=document_id))
    return document


async def _versions(session: AsyncSession, document_id: str) -> list[DocumentVersion]:
    return (await repository.versions_of(session, [document_id])).get(document_id, [])


def _change_notice(tender: Tender, document: Document, version: int) -> NotificationOrder:
    """The e-mail event of a document changed after publication: every vendor is told (in its transaction)."""
    values = rules.mail_values(tender, document_title=document.title, version=str(version))
    row: NotificationOrder = notify.outbox_row(NotificationOrder, f"tenders/document/{document.id}/{version}",
                                               "tender_document_changed", [notify.audience(role="vendor")],
                                               values)  # fmt: skip
    return row
