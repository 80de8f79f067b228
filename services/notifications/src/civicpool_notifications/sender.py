"""SMTP delivery: one mail to the configured server (stdlib smtplib, run in a thread, never in a request)."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime

from civicpool_notifications.config import NotificationsSettings
from civicpool_notifications.models import Mail


def message_of(mail: Mail, from_address: str) -> EmailMessage:
    """The mail as sent: plain text plus HTML, its stable Message-ID (the same on every attempt, so a
    receiver can tell a repeat from a new mail)."""
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = mail.address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = mail.message_id
    message["Content-Language"] = mail.language
    message["X-Civicpool-Kind"] = mail.kind
    message["X-Civicpool-Event"] = mail.event_key
    message.set_content(mail.body_text)
    message.add_alternative(mail.body_html, subtype="html")
    return message


class SmtpSender:
    def __init__(self, settings: NotificationsSettings) -> None:
        self._settings = settings

    async def send(self, mail: Mail) -> None:
        """Hand the mail to the SMTP server; returns when the server accepted it, raises otherwise."""
        message = message_of(mail, self._settings.from_address)
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        s = self._settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds) as smtp:
            if s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
            smtp.send_message(message)
