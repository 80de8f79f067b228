"""GET/PUT /me/notifications: which kinds of e-mail the caller receives."""

from __future__ import annotations

from fastapi import APIRouter

from civicpool_gateway.auth import CallerDep
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.notification_schemas import NotificationSettings, NotificationSettingsUpdate

router = APIRouter(tags=["identity"])


@router.get("/me/notifications", summary="My e-mail notifications", response_model=NotificationSettings)
async def get_notification_settings(caller: CallerDep, services: ClientsDep) -> NotificationSettings:
    return await services.notifications.get_settings(caller.token)


@router.put("/me/notifications", summary="Switch kinds of e-mail on or off", response_model=NotificationSettings)
async def put_notification_settings(
    update: NotificationSettingsUpdate, caller: CallerDep, services: ClientsDep
) -> NotificationSettings:
    return await services.notifications.set_settings(update, caller.token)
