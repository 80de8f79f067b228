"""The gateway's client of the notifications service: the caller's own e-mail settings."""

from __future__ import annotations

import grpc
from civicpool.notifications.v1 import notifications_pb2 as pb
from civicpool.notifications.v1.notifications_pb2_grpc import NotificationsServiceStub

from civicpool_gateway.clients.base import ServiceClient
from civicpool_gateway.notification_schemas import NotificationSettings, NotificationSettingsUpdate
from civicpool_gateway.serde import notifications as serde


class NotificationsClient(ServiceClient):
    def __init__(self, channel: grpc.aio.Channel, deadline_seconds: float) -> None:
        super().__init__("notifications", deadline_seconds)
        self._stub = NotificationsServiceStub(channel)

    async def get_settings(self, token: str) -> NotificationSettings:
        reply = await self._call(self._stub.PreferencesGet, pb.PreferencesGetRequest(), token)
        return serde.settings_from_proto(reply)

    async def set_settings(self, update: NotificationSettingsUpdate, token: str) -> NotificationSettings:
        reply = await self._call(self._stub.PreferencesSet, serde.settings_update_to_proto(update), token)
        return serde.settings_from_proto(reply)
