"""The NotificationsService servicer: proto <-> domain, nothing else."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import grpc
from civicpool.notifications.v1 import notifications_pb2 as pb
from civicpool.notifications.v1 import notifications_pb2_grpc
from civicpool_common import messages
from civicpool_common.grpc_server import current_principal, periodically
from civicpool_common.service_identity import ServiceTokens
from civicpool_common.settings import OidcSettings
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_notifications import rules
from civicpool_notifications.config import NotificationsSettings
from civicpool_notifications.directory import AudienceSpec, KeycloakDirectory
from civicpool_notifications.sender import SmtpSender
from civicpool_notifications.service import NotificationsService

Context = grpc.aio.ServicerContext[Any, Any]


def _preferences(chosen: dict[str, bool]) -> pb.Preferences:
    language = messages.current_language.get()
    labels = {kind: messages.text(language, source) for kind, source in rules.KIND_LABELS.items()}
    return pb.Preferences(preferences=[pb.Preference(kind=k, enabled=chosen[k], label=labels[k]) for k in rules.KINDS])


class NotificationsServicer(notifications_pb2_grpc.NotificationsServiceServicer):
    def __init__(self, service: NotificationsService) -> None:
        self._service = service

    async def Notify(self, request: pb.NotifyRequest, context: Context) -> pb.NotifyResponse:
        audiences = [AudienceSpec(a.role, a.city_id, a.vendor_id, tuple(a.user_ids)) for a in request.audiences]
        duplicate = await self._service.notify(
            current_principal(), request.event_key, request.kind, audiences, dict(request.values)
        )
        return pb.NotifyResponse(duplicate=duplicate)

    async def PreferencesGet(self, request: pb.PreferencesGetRequest, context: Context) -> pb.Preferences:
        return _preferences(await self._service.preferences(current_principal()))

    async def PreferencesSet(self, request: pb.PreferencesSetRequest, context: Context) -> pb.Preferences:
        changes = {p.kind: p.enabled for p in request.preferences}
        return _preferences(await self._service.set_preferences(current_principal(), changes))


@contextlib.asynccontextmanager
async def register(
    server: grpc.aio.Server, sessions: async_sessionmaker[AsyncSession], settings: NotificationsSettings
) -> AsyncIterator[None]:
    oidc = OidcSettings()
    identity = ServiceTokens("notifications", settings.client_secret.get_secret_value(), oidc)
    directory = KeycloakDirectory(oidc, identity)
    service = NotificationsService(sessions, directory, SmtpSender(settings), settings)
    notifications_pb2_grpc.add_NotificationsServiceServicer_to_server(NotificationsServicer(service), server)
    try:
        async with periodically(service.work, settings.send_interval_seconds, "work the mail queue"):
            yield
    finally:
        await directory.aclose()
        await identity.aclose()
