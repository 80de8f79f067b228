"""The kinds of mail and their templates: every text a recipient reads is a source in the message catalogue.

A template is a subject and paragraphs, each an English source with placeholders (German and English in
de.po / en.po). The plain text is the paragraphs separated by blank lines; the HTML the same paragraphs,
escaped, each a <p>. A value that is an ISO date or time ("2027-03-31", "2027-03-31T12:00:00+00:00") is
shown in the reader's conventions (31.03.2027 14:00 Uhr). A kind may have variants, chosen by the value
"variant" (an award: "won" or "lost").

A new kind: one Template here (sources in both .po files), one emit call in the owning service.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

from civicpool_common.errors import InvalidArgument
from civicpool_common.messages import LANGUAGES, N_, Text, text

DEFAULT_LANGUAGE = "de"
EVENT_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,199}$")
MAX_VALUE = 2000


@dataclass(frozen=True)
class Template:
    subject: str
    paragraphs: tuple[str, ...]


FOOTER = N_("You receive this mail because of your role in civicpool. Switch this kind of mail off: {settings_url}")
GREETING = N_("Hello {name},")

# kind -> its label (for the settings page) and its templates by variant ("" when it has none)
KIND_LABELS: dict[str, str] = {
    "round_opened": N_("A demand round opens for my city"),
    "round_closing": N_("A demand round closes in 3 days and my city has no lines yet"),
    "tender_published": N_("A tender is published"),
    "tender_document_changed": N_("A published tender's documents change"),
    "tender_answer_published": N_("A bidder question is answered, or a clarification published"),
    "tender_question_asked": N_("A vendor asks a question on a tender my city leads"),
    "award_decided": N_("The award of a tender I bid in is decided"),
    "tender_complaint": N_("A review application on a tender my city leads is recorded or decided"),
    "standstill_ended": N_("The standstill of a tender my city leads has ended: the contracts may be concluded"),
    "contracts_concluded": N_("The contracts of a tender I won are concluded"),
    "renewal_notice": N_("A contract's notice date for renewal is near"),
    "mini_competition_invited": N_("A mini-competition under my framework agreement invites my offer"),
    "mini_competition_decided": N_("A mini-competition I offered in or my city invited is decided"),
    "invoice_outcome": N_("What became of an e-invoice my company sent: refused, differing, approved or rejected"),
    "invoice_waiting": N_("An e-invoice to my city waits for a decision"),
    "charge_issued": N_("The lead city charges my city its part of a shared cost"),
}
KINDS = tuple(KIND_LABELS)

_CHARGE_ISSUED = N_(
    "{seller} charges your city its part of a shared cost ({memo}) with the XRechnung {number} to the Leitweg-ID {leitweg_id}, due on {due_date}."  # noqa: E501
)

_DOCUMENT_CHANGED = N_(
    'the document "{document_title}" of the tender "{tender_title}" has changed (version {version}). Read it before you bid, or check the bid you sent.'  # noqa: E501
)

_ANSWER_PUBLISHED = N_(
    'the lead city has published an answer or a clarification for the tender "{tender_title}". It applies to every bid.'
)

_QUESTION_ASKED = N_(
    'a vendor has asked a question on the tender "{tender_title}". Answer it while 6 days remain before the deadline, or extend the deadline.'  # noqa: E501
)

_COMPLAINT_RECORDED = N_(
    'a review application on the tender "{tender_title}" was received on {received_on} by {chamber}. No contract may be concluded before its outcome (§ 169 (1) GWB): record the outcome when the chamber decides.'  # noqa: E501
)

_COMPLAINT_DISMISSED = N_(
    'the review application of {received_on} on the tender "{tender_title}" was dismissed. Once the standstill is over, the contracts may be concluded.'  # noqa: E501
)

_COMPLAINT_UPHELD = N_(
    'the review application of {received_on} on the tender "{tender_title}" was upheld: the award is revoked and the tender is back in evaluation. Award it again.'  # noqa: E501
)

_STANDSTILL_ENDED = N_(
    'the standstill of the tender "{tender_title}" ended on {last_day}. Once the contracts are signed, confirm it: the contracts become active and the cities may call off.'  # noqa: E501
)

_CONTRACTS_CONCLUDED = N_(
    'the standstill of the tender "{tender_title}" is over and the lead city has confirmed the contracts signed: from now on the cities call off under your contract.'  # noqa: E501
)

_OFFER_INVITED = N_(
    "you are invited to offer for {quantity} × {item} under your framework agreement, by {offers_due_at}. Offers stay sealed until then; your framework price is the most you may offer."  # noqa: E501
)

_INVOICE_REFUSED = N_(
    'the file "{file_name}" is no e-invoice civicpool can read, so it was not processed. Send XRechnung, or ZUGFeRD in the profile EN 16931 or XRECHNUNG.'  # noqa: E501
)

_INVOICE_INVALID = N_(
    "your invoice {number} does not pass the official rules (XRechnung, EN 16931), so it cannot be processed. Correct it and send it again."  # noqa: E501
)

_INVOICE_MISMATCHED = N_(
    "your invoice {number} to {buyer} differs from the contract or the call-offs in {count} point(s). The city's finance will decide on it; a corrected invoice can be sent once it is rejected."  # noqa: E501
)

_INVOICE_MATCHED_WAITING = N_(
    "the e-invoice {number} of {seller} to {buyer} agrees with the contract and the call-offs and waits for approval (four eyes: not by whoever uploaded it)."  # noqa: E501
)

_INVOICE_MISMATCHED_WAITING = N_(
    "the e-invoice {number} of {seller} to {buyer} differs from the contract or the call-offs in {count} point(s). Reject it with a reason the vendor reads."  # noqa: E501
)

_OFFER_WON = N_(
    "your offer for {quantity} × {item} has won the mini-competition: it is called off at your offered price."
)

_NO_OFFERS = N_(
    "the mini-competition for {quantity} × {item} received no offer; nothing was called off. Call off by the framework's order (cascade) instead."  # noqa: E501
)

TEMPLATES: dict[tuple[str, str], Template] = {
    ("round_opened", ""): Template(
        N_("Demand round open: {round_title}"),
        (
            N_('the demand round "{round_title}" is open. Please enter your city\'s demand by {closes_at}.'),
            N_("Enter the demand: {link}"),
        ),
    ),
    ("round_closing", ""): Template(
        N_("3 days left: demand round {round_title}"),
        (
            N_('the demand round "{round_title}" closes on {closes_at}, and your city has not entered any demand yet.'),
            N_("Enter the demand: {link}"),
        ),
    ),
    ("tender_published", ""): Template(
        N_("New tender: {tender_title}"),
        (
            N_('the tender "{tender_title}" is published. Bids are due by {bids_due_at}.'),
            N_("Read the tender and bid: {link}"),
        ),
    ),
    ("tender_document_changed", ""): Template(
        N_("Documents changed: {tender_title}"),
        (
            _DOCUMENT_CHANGED,
            N_("Read the tender's documents: {link}"),
        ),
    ),
    ("tender_answer_published", ""): Template(
        N_("New answer to bidders: {tender_title}"),
        (
            _ANSWER_PUBLISHED,
            N_("Read the questions and answers: {link}"),
        ),
    ),
    ("tender_question_asked", ""): Template(
        N_("New bidder question: {tender_title}"),
        (
            _QUESTION_ASKED,
            N_("Answer it: {link}"),
        ),
    ),
    ("award_decided", "won"): Template(
        N_("Award decided: {tender_title}"),
        (
            N_('the award of the tender "{tender_title}" is decided: your bid has won. The contract follows.'),
            N_("Read the award: {link}"),
        ),
    ),
    ("award_decided", "lost"): Template(
        N_("Award decided: {tender_title}"),
        (
            N_('the award of the tender "{tender_title}" is decided: your bid has not won this time.'),
            N_("Read the award: {link}"),
        ),
    ),
    ("tender_complaint", "recorded"): Template(
        N_("Review application: {tender_title}"),
        (
            _COMPLAINT_RECORDED,
            N_("Read the tender: {link}"),
        ),
    ),
    ("tender_complaint", "dismissed"): Template(
        N_("Review application dismissed: {tender_title}"),
        (
            _COMPLAINT_DISMISSED,
            N_("Read the tender: {link}"),
        ),
    ),
    ("tender_complaint", "upheld"): Template(
        N_("Review application upheld: {tender_title}"),
        (
            _COMPLAINT_UPHELD,
            N_("Read the tender: {link}"),
        ),
    ),
    ("standstill_ended", ""): Template(
        N_("Standstill ended: {tender_title}"),
        (
            _STANDSTILL_ENDED,
            N_("Conclude the contracts: {link}"),
        ),
    ),
    ("contracts_concluded", ""): Template(
        N_("Contract concluded: {tender_title}"),
        (
            _CONTRACTS_CONCLUDED,
            N_("Read the tender: {link}"),
        ),
    ),
    ("mini_competition_invited", ""): Template(
        N_("Mini-competition: {quantity} × {item}"),
        (
            _OFFER_INVITED,
            N_("Offer: {link}"),
        ),
    ),
    ("mini_competition_decided", "won"): Template(
        N_("Mini-competition decided: {quantity} × {item}"),
        (
            _OFFER_WON,
            N_("Read the result: {link}"),
        ),
    ),
    ("mini_competition_decided", "lost"): Template(
        N_("Mini-competition decided: {quantity} × {item}"),
        (
            N_("your offer for {quantity} × {item} has not won the mini-competition this time."),
            N_("Read the result: {link}"),
        ),
    ),
    ("mini_competition_decided", "called_off"): Template(
        N_("Mini-competition decided: {quantity} × {item}"),
        (
            N_("the mini-competition for {quantity} × {item} is decided: the best offer is called off at its price."),
            N_("Read the result: {link}"),
        ),
    ),
    ("mini_competition_decided", "no_offers"): Template(
        N_("Mini-competition without offers: {quantity} × {item}"),
        (
            _NO_OFFERS,
            N_("Read the result: {link}"),
        ),
    ),
    ("invoice_outcome", "refused"): Template(
        N_("E-invoice refused: {file_name}"),
        (
            _INVOICE_REFUSED,
            N_("Read why: {link}"),
        ),
    ),
    ("invoice_outcome", "invalid"): Template(
        N_("E-invoice {number} breaks the official rules"),
        (
            _INVOICE_INVALID,
            N_("Read the findings: {link}"),
        ),
    ),
    ("invoice_outcome", "duplicate"): Template(
        N_("E-invoice {number} was received before"),
        (
            N_("your invoice {number} was received before; this copy is not processed again."),
            N_("Read it: {link}"),
        ),
    ),
    ("invoice_outcome", "mismatched"): Template(
        N_("E-invoice {number} differs from the call-offs"),
        (
            _INVOICE_MISMATCHED,
            N_("Read the differences: {link}"),
        ),
    ),
    ("invoice_outcome", "approved"): Template(
        N_("E-invoice {number} approved for payment"),
        (
            N_("{buyer} has approved your invoice {number} for payment."),
            N_("Read it: {link}"),
        ),
    ),
    ("invoice_outcome", "rejected"): Template(
        N_("E-invoice {number} rejected"),
        (
            N_("{buyer} has rejected your invoice {number}: {reason}"),
            N_("Read it: {link}"),
        ),
    ),
    ("invoice_waiting", "matched"): Template(
        N_("E-invoice {number} waits for your approval"),
        (
            _INVOICE_MATCHED_WAITING,
            N_("Approve or reject it: {link}"),
        ),
    ),
    ("invoice_waiting", "mismatched"): Template(
        N_("E-invoice {number} differs from the call-offs"),
        (
            _INVOICE_MISMATCHED_WAITING,
            N_("Read the differences: {link}"),
        ),
    ),
    ("charge_issued", ""): Template(
        N_("Charge {number} from {seller}"),
        (
            _CHARGE_ISSUED,
            N_("Read it and download the XRechnung: {link}"),
        ),
    ),
    ("renewal_notice", ""): Template(
        N_("Renewal notice in {days} days: {contract_title}"),
        (
            N_('the contract "{contract_title}" must be renewed or ended by {notice_date} (in {days} days).'),
            N_("Read the contract: {link}"),
        ),
    ),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def check_event(event_key: str, kind: str, values: Mapping[str, str]) -> None:
    """A reported event is one the service can send: known kind and variant, a usable key, bounded values."""
    if not EVENT_KEY.match(event_key):
        raise InvalidArgument.for_field("event_key", Text("1-200 characters: letters, digits and _ . : / -"))
    if kind not in KIND_LABELS:
        raise InvalidArgument.for_field("kind", Text("must be one of {values}", values=", ".join(KINDS)))
    if (kind, values.get("variant", "")) not in TEMPLATES:
        raise InvalidArgument.for_field(
            "values", Text("{kind} has no variant {variant}", kind=kind, variant=repr(values.get("variant", "")))
        )
    if any(len(v) > MAX_VALUE for v in values.values()):
        raise InvalidArgument.for_field("values", Text("each value at most {limit} characters", limit=MAX_VALUE))


def language_of(locale: str) -> str:
    """The mail's language from the user's locale attribute ("en", "en-GB", "de"); German by default."""
    primary = locale.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def _shown(value: str) -> object:
    """An ISO date or time becomes a date or datetime (shown in the reader's way); anything else stays."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return dt.date.fromisoformat(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})", value):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


PLACEHOLDER = re.compile(r"{(\w+)(?::[^}]*)?}")


def render(kind: str, values: Mapping[str, str], language: str, name: str, portal_url: str) -> Rendered:
    """The mail of one event for one reader; the value "path" is the page in the portal the mail links to."""
    template = TEMPLATES[(kind, values.get("variant", ""))]
    filled: dict[str, object] = {k: _shown(v) for k, v in values.items()}
    portal = portal_url.rstrip("/")
    filled.update(name=name, settings_url=f"{portal}/notification-settings", link=f"{portal}/{values.get('path', '')}")

    def one(source: str) -> str:  # a placeholder the event left out stays empty rather than failing the mail
        return text(language, source, **{n: filled.get(n, "") for n in PLACEHOLDER.findall(source)})

    paragraphs = [one(GREETING), *(one(p) for p in template.paragraphs), one(FOOTER)]
    body_text = "\n\n".join(paragraphs) + "\n"
    body_html = (
        f'<!DOCTYPE html>\n<html lang="{language}"><body>\n'
        + "\n".join(f"<p>{_linked(html.escape(p))}</p>" for p in paragraphs)
        + "\n</body></html>\n"
    )
    return Rendered(one(template.subject).replace("\n", " "), body_text, body_html)


def _linked(escaped: str) -> str:
    return re.sub(r"(https?://[^\s<]+)", r'<a href="\1">\1</a>', escaped)
