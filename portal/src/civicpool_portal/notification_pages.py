"""The user's e-mail settings: each kind of notification on or off (under the user's menu)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from civicpool_portal.page_request import FormPortalDep, PortalDep, back_to

router = APIRouter(prefix="/notification-settings")


@router.get("")
async def notification_settings(portal: PortalDep) -> HTMLResponse:
    settings = await portal.get("/me/notifications")
    return await portal.page("notification_settings.html", settings=settings["settings"])


@router.post("")
async def save_notification_settings(portal: FormPortalDep, request: Request) -> Response:
    """Every kind shown is sent: a checked box is on, an unchecked one off (browsers send only checked boxes)."""
    form = await request.form()
    shown = [str(kind) for kind in form.getlist("shown")][:50]
    chosen = {str(kind) for kind in form.getlist("enabled")}
    body = {"settings": [{"kind": kind, "enabled": kind in chosen} for kind in shown]}
    await portal.send("PUT", "/me/notifications", json=body, ok=portal._("Your e-mail settings are saved."))
    return back_to("/notification-settings")
