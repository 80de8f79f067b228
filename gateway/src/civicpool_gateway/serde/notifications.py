"""Notification settings: proto <-> REST models."""

from __future__ import annotations

from civicpool.notifications.v1 import notifications_pb2 as pb

from civicpool_gateway.notification_schemas import (
    NotificationSetting,
    NotificationSettings,
    NotificationSettingsUpdate,
)


def settings_from_proto(message: pb.Preferences) -> NotificationSettings:
    return NotificationSettings(
        settings=[NotificationSetting(kind=p.kind, enabled=p.enabled, label=p.label) for p in message.preferences]
    )


def settings_update_to_proto(update: NotificationSettingsUpdate) -> pb.PreferencesSetRequest:
    return pb.PreferencesSetRequest(
        preferences=[pb.Preference(kind=c.kind, enabled=c.enabled) for c in update.settings]
    )
