"""Demand use cases: rules, permissions and transactions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from civicpool_common.auth import Principal, Role
from civicpool_common.database import utc_now, write_transaction
from civicpool_common.errors import FieldViolation, InvalidArgument, PermissionDenied
from civicpool_common.ids import time_ordered_id
from civicpool_common.paging import PageWindow
from civicpool_common.vocabulary import RoundStatus
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_demand import repository
from civicpool_demand.models import Round


@dataclass(frozen=True)
class RoundDraft:
    title: str
    description: str
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None


class DemandService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create_round(self, principal: Principal, draft: RoundDraft) -> Round:
        """A new round in status draft, owned by the lead's own city."""
        principal.require_any_role(Role.PROCUREMENT_LEAD)
        if principal.city is None:
            raise PermissionDenied(f"{principal.username} belongs to no city, so cannot own a demand round")
        violations = _round_violations(draft, utc_now())
        if violations:
            raise InvalidArgument("the demand round is not valid", violations=violations)
        assert draft.opens_at is not None and draft.closes_at is not None
        now = utc_now()
        round_ = Round(
            id=time_ordered_id(),
            title=draft.title,
            description=draft.description,
            owner_city_id=principal.city,
            opens_at=draft.opens_at,
            closes_at=draft.closes_at,
            status=RoundStatus.DRAFT.value,
            created_by=principal.username,
            created_at=now,
            updated_at=now,
        )
        async with write_transaction(self._sessions) as session:
            session.add(round_)
        return round_

    async def list_rounds(self, limit: int, cursor: str) -> tuple[list[Round], str]:
        window = PageWindow.requested(limit, cursor)
        async with self._sessions() as session:
            rounds = await repository.rounds_after(session, window.after, window.fetch)
        return window.close(rounds, lambda r: r.id)


def _round_violations(draft: RoundDraft, now: dt.datetime) -> list[FieldViolation]:
    violations = []
    if not draft.title.strip():
        violations.append(FieldViolation("title", "must not be empty"))
    elif len(draft.title) > 200:
        violations.append(FieldViolation("title", "must be at most 200 characters"))
    if draft.opens_at is None:
        violations.append(FieldViolation("opens_at", "when does the round open?"))
    if draft.closes_at is None:
        violations.append(FieldViolation("closes_at", "when does the round close?"))
    elif draft.closes_at <= now:
        violations.append(FieldViolation("closes_at", "must lie in the future"))
    if draft.opens_at and draft.closes_at and draft.opens_at >= draft.closes_at:
        violations.append(FieldViolation("closes_at", "must come after opens_at"))
    return violations
