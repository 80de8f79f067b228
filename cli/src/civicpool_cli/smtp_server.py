"""The local stack's mail server: a real SMTP server (aiosmtpd) that delivers every accepted mail into a maildir.

`python -m civicpool_cli.smtp_server --port 2525 --maildir data/mail`. Each mail is one file in new/, written
before the server answers 250, so an accepted mail is never lost; tests and developers read them there.
"""

from __future__ import annotations

import argparse
import asyncio
import mailbox
import signal
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class MaildirHandler:
    def __init__(self, folder: Path) -> None:
        self._box = mailbox.Maildir(folder, create=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content, policy=default)
        del message["X-Envelope-To"]
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self._box.add(mailbox.MaildirMessage(message))
        return "250 OK delivered"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--maildir", type=Path, required=True)
    arguments = parser.parse_args()
    controller = Controller(MaildirHandler(arguments.maildir), hostname=arguments.host, port=arguments.port)
    controller.start()
    print(f"SMTP server on {arguments.host}:{arguments.port}, delivering into {arguments.maildir}", flush=True)

    async def wait() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()

    try:
        asyncio.run(wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
