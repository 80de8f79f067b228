"""The mails the local SMTP server delivered (the stack's maildir), as the recipient's mail program reads them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import cast


@dataclass(frozen=True)
class Delivered:
    to: str
    subject: str
    text: str
    html: str
    message_id: str
    event: str
    kind: str


def delivered(maildir: Path) -> list[Delivered]:
    """Every mail in the maildir (new/: written whole, then moved there, so never half a mail)."""
    found = []
    for path in sorted((maildir / "new").glob("*")) if (maildir / "new").exists() else []:
        message = cast(EmailMessage, message_from_bytes(path.read_bytes(), policy=default))
        plain, rich = message.get_body(("plain",)), message.get_body(("html",))
        found.append(
            Delivered(
                to=str(message["To"]),
                subject=str(message["Subject"]),
                text=plain.get_content() if plain is not None else "",  # type: ignore[attr-defined]
                html=rich.get_content() if rich is not None else "",  # type: ignore[attr-defined]
                message_id=str(message["Message-ID"]).strip(),
                event=str(message["X-Civicpool-Event"]).strip(),  # a long value is folded onto the next line
                kind=str(message["X-Civicpool-Kind"]).strip(),
            )
        )
    return found


def of_event(maildir: Path, event: str) -> list[Delivered]:
    return [m for m in delivered(maildir) if m.event == event]


def wait_for_mails(maildir: Path, event: str, count: int, timeout: float = 60.0) -> list[Delivered]:
    """The event's mails once `count` of them are there (or what is there when time runs out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = of_event(maildir, event)
        if len(found) >= count:
            return found
        time.sleep(0.5)
    return of_event(maildir, event)
