"""The REST models of a user's e-mail notification settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from civicpool_gateway.schemas import Request

KIND_PATTERN = r"^[a-z][a-z_]{0,59}$"


class NotificationSetting(BaseModel):
    kind: str = Field(description="The kind of mail: round_opened, round_closing, tender_published, ...")
    enabled: bool = Field(description="Whether the user receives this kind of mail")
    label: str = Field(description="What the kind is, in the request's language")


class NotificationSettings(BaseModel):
    settings: list[NotificationSetting] = Field(description="Every kind of mail, on or off")


class NotificationChoice(Request):
    kind: str = Field(pattern=KIND_PATTERN, description="A kind from GET /me/notifications")
    enabled: bool


class NotificationSettingsUpdate(Request):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"settings": [{"kind": "tender_published", "enabled": False}]}]}
    )

    settings: list[NotificationChoice] = Field(
        max_length=50, description="The kinds to switch on or off; kinds not named stay as they are"
    )
