"""An uploaded file as an invoice's XML: XRechnung as it is, or the CII embedded in a ZUGFeRD/Factur-X PDF/A-3.

The PDF is read with pypdf only to take out its attachment by the names ZUGFeRD 2 and Factur-X give it; the XML
then goes through the same safe reading and the same rules as any other (validation.py). Which profile it claims is
told from its specification identifier (BT-24): BASIC WL and MINIMUM carry no lines, BASIC lacks terms a public
buyer needs, so none of them is accepted, and the sender is told which profile to send.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from civicpool_einvoice.validation import MAX_XML_BYTES, Refused

MAX_UPLOAD_BYTES = MAX_XML_BYTES  # a PDF with its pictures too; 20 MB is not an invoice
# The embedded file's name: Factur-X 1.0 / ZUGFeRD 2.x, ZUGFeRD 2.0 / 1.0, and XRechnung in ZUGFeRD 2.1.1+.
EMBEDDED_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml", "ZUGFeRD-invoice.xml")
# BT-24 of the profiles below EN 16931: not enough for a public buyer (the sender must send EN 16931 or XRECHNUNG).
PROFILES_BELOW_EN16931 = {
    "urn:factur-x.eu:1p0:minimum": "MINIMUM",
    "urn:factur-x.eu:1p0:basicwl": "BASIC WL",
    "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic": "BASIC",
    "urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:basic": "BASIC",
}
logging.getLogger("pypdf").setLevel(logging.ERROR)  # a vendor's odd PDF is its problem, not the log's


@dataclass(frozen=True)
class Upload:
    format: str  # xml | pdf
    xml: bytes  # the invoice's XML (the PDF's attachment)
    attachment: str  # the attachment's name in the PDF ("" for XML)


def invoice_xml(data: bytes) -> Upload:
    """The invoice's XML in an upload; Refused when the file is too large or a PDF carries no invoice."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise Refused("too_large", f"the file has {len(data)} bytes, more than the {MAX_UPLOAD_BYTES} accepted")
    if data.lstrip()[:5] != b"%PDF-":
        return Upload("xml", data, "")
    try:
        attachments = PdfReader(io.BytesIO(data)).attachments
    except (PyPdfError, ValueError, KeyError, TypeError) as broken:
        raise Refused("not_pdf", f"the PDF cannot be read: {broken}") from None
    wanted = {name.lower(): name for name in attachments}
    for name in EMBEDDED_NAMES:
        if name.lower() in wanted and (contents := attachments[wanted[name.lower()]]):
            return Upload("pdf", contents[0], wanted[name.lower()])
    raise Refused(
        "no_embedded_invoice",
        "the PDF has no embedded invoice (factur-x.xml, zugferd-invoice.xml or xrechnung.xml): a picture of an "
        "invoice is no e-invoice; send XRechnung or ZUGFeRD in the profile EN 16931 or XRECHNUNG",
    )


def profile_below_en16931(specification: str) -> str:
    """The ZUGFeRD/Factur-X profile's name when BT-24 names one below EN 16931, else ""."""
    return PROFILES_BELOW_EN16931.get(specification.strip(), "")
