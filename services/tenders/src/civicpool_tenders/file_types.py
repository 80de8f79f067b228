"""What a procurement document is, told by its content, never by its name (pure functions, no I/O).

Allowed: PDF, DOCX, XLSX, ODT and ZIP. Office Open XML and OpenDocument files are ZIP archives
themselves, told apart by the parts inside (only the archive's directory is read, nothing unpacked).
A file whose name promises another type than its content is refused: a vendor opening
"Leistungsbeschreibung.pdf" must get a PDF.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from civicpool_common.errors import InvalidArgument
from civicpool_common.messages import N_, Text


@dataclass(frozen=True)
class FileType:
    label: str  # as people name it
    media_type: str
    extensions: tuple[str, ...]


PDF = FileType("PDF", "application/pdf", (".pdf",))
DOCX = FileType("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
XLSX = FileType("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
ODT = FileType("ODT", "application/vnd.oasis.opendocument.text", (".odt",))
ZIP = FileType("ZIP", "application/zip", (".zip",))
ALLOWED = (PDF, DOCX, XLSX, ODT, ZIP)
ALLOWED_LABELS = ", ".join(t.label for t in ALLOWED)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .xls, .ppt of Office 97-2003 (and encrypted OOXML)
MAX_FILE_NAME = 200

_NOT_ALLOWED = N_(
    "by its content, the file is none of the types allowed ({allowed}); save it as one of them (e.g. as PDF) and upload it again"  # noqa: E501
)
_OLD_OFFICE = N_(
    "the file is in an old Office format (.doc, .xls) or password-protected; save it as PDF, DOCX or XLSX without a password"  # noqa: E501
)
_NAME_DIFFERS = N_(
    "the file is a {kind} file by its content, but its name ends in '{suffix}'; name it *{extension} so that it opens with the right program"  # noqa: E501
)


def file_type(content: bytes) -> FileType:
    """The allowed type of `content`, or InvalidArgument (field `file`) saying why none."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(OLE_MAGIC):
        raise InvalidArgument.for_field("file", Text(_OLD_OFFICE))
    if content.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _archive_type(content)
    raise InvalidArgument.for_field("file", Text(_NOT_ALLOWED, allowed=ALLOWED_LABELS))


def _archive_type(content: bytes) -> FileType:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if declared == ODT.media_type:
                    return ODT
                if declared.startswith("application/vnd.oasis.opendocument."):  # a spreadsheet, a drawing, ...
                    raise InvalidArgument.for_field("file", Text(_NOT_ALLOWED, allowed=ALLOWED_LABELS))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise InvalidArgument.for_field("file", Text("the ZIP archive is damaged or incomplete")) from None
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return DOCX
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return XLSX
    return ZIP


def clean_file_name(name: str) -> str:
    """The file's own name without any folder a browser sent, control characters or surrounding blanks."""
    base = PureWindowsPath(PurePosixPath(name).name).name
    cleaned = "".join(c for c in base if c.isprintable()).strip()
    if not cleaned or cleaned in (".", ".."):
        raise InvalidArgument.for_field("file", Text("the file has no name"))
    if len(cleaned) > MAX_FILE_NAME:
        raise InvalidArgument.for_field(
            "file", Text("the file name has more than {limit} characters", limit=MAX_FILE_NAME)
        )
    return cleaned


def check_name(file_name: str, found: FileType) -> None:
    """The name's extension is the content's (any case)."""
    suffix = PurePosixPath(file_name.lower()).suffix
    if suffix not in found.extensions:
        raise InvalidArgument.for_field(
            "file",
            Text(_NAME_DIFFERS, kind=found.label, suffix=suffix or file_name, extension=found.extensions[0]),
        )
