"""The notifications service: events in (Notify, idempotent by key), one mail per recipient queued, mails out.

Two loops work the queue, apart from any request (Notify only stores the event):
- resolve: an event's audience becomes recipients (Keycloak), each recipient who has not switched the kind
  off gets the mail rendered in their language, queued in `mails` (unique by event and recipient), and the
  event is marked resolved, in one transaction. Keycloak away: the event waits for the next round.
- send: each due mail is claimed (a lease, so replicas do not take the same mail), handed to the SMTP
  server and marked sent right after the server accepted it. A refused or failed attempt waits
  retry_base_seconds, doubled per attempt up to retry_max_seconds.

Exactly once, with one window: a crash (or a lost database) between the server's acceptance and the mark
sends that one mail again at the next round, with the same Message-ID (so a receiving system can drop it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Sequence

from civicpool_common.auth import Principal
from civicpool_common.database import integrity_violation, utc_now, write_transaction
from civicpool_common.errors import InvalidArgument
from civicpool_common.messages import Text
from civicpool_common.notify import Batch, batch_after_batch
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_notifications import repository, rules
from civicpool_notifications.config import NotificationsSettings
from civicpool_notifications.directory import AudienceSpec, KeycloakDirectory
from civicpool_notifications.models import Event, Mail, Preference
from civicpool_notifications.sender import SmtpSender

log = logging.getLogger("civicpool.notifications")
BATCH = 50
BATCHES_PER_ROUND = 20  # a round of the queue goes on while its batches come whole, up to this many


def message_id(event_key: str, user_id: str) -> str:
    """The mail's Message-ID: the same for the same event and recipient, on every attempt."""
    digest = hashlib.sha256(f"{event_key}\n{user_id}".encode()).hexdigest()[:40]
    return f"<{digest}@notifications.civicpool>"


class NotificationsService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        directory: KeycloakDirectory,
        sender: SmtpSender,
        settings: NotificationsSettings,
    ) -> None:
        self._sessions = sessions
        self._directory = directory
        self._sender = sender
        self._settings = settings

    # -- events in ------------------------------------------------------------------------

    async def notify(
        self,
        caller: Principal,
        event_key: str,
        kind: str,
        audiences: Sequence[AudienceSpec],
        values: dict[str, str],
    ) -> bool:
        """Store the event once: True when its key was known already (nothing new is stored)."""
        rules.check_event(event_key, kind, values)
        if not audiences:
            raise InvalidArgument.for_field("audiences", Text("name who receives the mail"))
        try:
            async with write_transaction(self._sessions) as session:
                if await session.get(Event, event_key) is not None:
                    return True
                session.add(
                    Event(
                        event_key=event_key,
                        kind=kind,
                        audiences=json.dumps([a.__dict__ | {"user_ids": list(a.user_ids)} for a in audiences]),
                        template_values=json.dumps(values, sort_keys=True),
                        reported_by=caller.username,
                        created_at=utc_now(),
                        attempts=0,
                        last_error="",
                    )
                )
        except IntegrityError as error:  # the same key at the same moment from another replica
            if integrity_violation(error) != "unique":
                raise
            return True
        return False

    # -- preferences ----------------------------------------------------------------------

    async def preferences(self, principal: Principal) -> dict[str, bool]:
        async with self._sessions() as session:
            chosen = await repository.preferences_of(session, [principal.user_id])
        return {kind: chosen.get((principal.user_id, kind), True) for kind in rules.KINDS}

    async def set_preferences(self, principal: Principal, changes: dict[str, bool]) -> dict[str, bool]:
        unknown = sorted(set(changes) - set(rules.KINDS))
        if unknown:
            raise InvalidArgument.for_field("preferences", Text("unknown kinds: {kinds}", kinds=", ".join(unknown)))
        now = utc_now()
        async with write_transaction(self._sessions) as session:
            for kind, enabled in changes.items():
                row = await session.get(Preference, (principal.user_id, kind))
                if row is None:
                    session.add(Preference(user_id=principal.user_id, kind=kind, enabled=enabled, updated_at=now))
                else:
                    row.enabled, row.updated_at = enabled, now
        return await self.preferences(principal)

    # -- the queue ------------------------------------------------------------------------

    async def resolve(self) -> Batch:
        """Turn a batch of reported events into queued mails."""
        async with self._sessions() as session:
            events = [(e.event_key, e.kind, e.audiences, e.template_values)
                      for e in await repository.unresolved_events(session, BATCH)]  # fmt: skip
        queued, failed = 0, False
        for event_key, kind, audiences_json, values_json in events:
            audiences = [AudienceSpec(a["role"], a["city_id"], a["vendor_id"], tuple(a["user_ids"]))
                         for a in json.loads(audiences_json)]  # fmt: skip
            values: dict[str, str] = json.loads(values_json)
            try:
                recipients = await self._directory.recipients(audiences)
            except Exception as error:
                log.warning("the recipients of %s are not known yet: %s", event_key, error)
                failed = True
                async with write_transaction(self._sessions) as session:
                    row = await session.get(Event, event_key)
                    if row is not None:
                        row.attempts += 1
                        row.last_error = str(error)[:2000]
                continue
            now = utc_now()
            async with write_transaction(self._sessions) as session:
                row = await session.get(Event, event_key)
                if row is None or row.resolved_at is not None:
                    continue
                chosen = await repository.preferences_of(session, [r.user_id for r in recipients])
                done = await repository.mailed_users(session, event_key)
                for recipient in recipients:
                    if recipient.user_id in done or not chosen.get((recipient.user_id, kind), True):
                        continue
                    language = rules.language_of(recipient.locale)
                    mail = rules.render(kind, values, language, recipient.name, self._settings.portal_url)
                    session.add(
                        Mail(
                            event_key=event_key,
                            kind=kind,
                            user_id=recipient.user_id,
                            address=recipient.address,
                            language=language,
                            message_id=message_id(event_key, recipient.user_id),
                            subject=mail.subject,
                            body_text=mail.text,
                            body_html=mail.html,
                            created_at=now,
                            next_attempt_at=now,
                            attempts=0,
                            last_error="",
                        )
                    )
                    queued += 1
                row.resolved_at = now
        said = f"queued {queued} mail(s) of {len(events)} event(s)" if events else ""
        return Batch(said, len(events) == BATCH and not failed)

    async def send_due(self) -> Batch:
        """Send a batch of the mails that are due, oldest first."""
        due = await self._claim_due()
        sent = 0
        for position, mail in enumerate(due):
            try:
                await self._sender.send(mail)
            except Exception as error:
                retry_at = await self._failed(mail.id, error)
                log.warning("mail %s to %s not sent yet: %s", mail.id, mail.address, error)
                # The server is away or refusing: the others claimed now wait as long (not for the lease).
                await self._release([m.id for m in due[position + 1 :]], retry_at)
                break
            await self._mark_sent(mail.id)
            sent += 1
        return Batch(f"sent {sent} of {len(due)} due mail(s)" if due else "", sent == BATCH)

    async def work(self) -> str:
        """One round of the queue (a periodic job; returns what it did): resolve, then send, again while either
        went through a whole batch."""
        return await batch_after_batch(self._work_batch, BATCHES_PER_ROUND)

    async def _work_batch(self) -> Batch:
        resolved, sent = await self.resolve(), await self.send_due()
        return Batch("; ".join(b.said for b in (resolved, sent) if b.said), resolved.whole or sent.whole)

    async def _claim_due(self) -> list[Mail]:
        """The due mails, each claimed for this worker: its next attempt moved past the time a send may take, in
        one write transaction, so another replica's worker does not take it meanwhile (a claim that is not
        followed by a mark, e.g. a crash, expires and the mail is due again)."""
        now = utc_now()
        lease = dt.timedelta(seconds=3 * self._settings.smtp_timeout_seconds + 30)
        async with write_transaction(self._sessions) as session:
            due = await repository.due_mails(session, now, BATCH)
            for mail in due:
                mail.next_attempt_at = now + lease
            await session.flush()
            session.expunge_all()
        return due

    async def _mark_sent(self, mail_id: int) -> None:
        async with write_transaction(self._sessions) as session:
            row = await session.get(Mail, mail_id)
            if row is not None and row.sent_at is None:
                row.sent_at = utc_now()
                row.attempts += 1

    async def _failed(self, mail_id: int, error: Exception) -> dt.datetime:
        """Record a failed attempt; when the mail is tried again (the base wait, doubled per attempt)."""
        async with write_transaction(self._sessions) as session:
            row = await session.get(Mail, mail_id)
            if row is None or row.sent_at is not None:
                return utc_now()
            row.attempts += 1
            row.last_error = f"{type(error).__name__}: {error}"[:2000]
            wait = min(self._settings.retry_base_seconds * 2 ** (row.attempts - 1), self._settings.retry_max_seconds)
            row.next_attempt_at = utc_now() + dt.timedelta(seconds=wait)
            return row.next_attempt_at

    async def _release(self, mail_ids: list[int], at: dt.datetime) -> None:
        """Mails claimed but not tried: due again at `at`."""
        if not mail_ids:
            return
        async with write_transaction(self._sessions) as session:
            for mail_id in mail_ids:
                row = await session.get(Mail, mail_id)
                if row is not None and row.sent_at is None:
                    row.next_attempt_at = at
