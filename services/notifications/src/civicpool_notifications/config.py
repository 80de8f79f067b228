"""Settings of the notifications service (CIVICPOOL_NOTIFICATIONS_*): SMTP, Keycloak's admin API, the loops."""

from __future__ import annotations

from civicpool_common.settings import ServiceSettings
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICPOOL_NOTIFICATIONS_")

    port: int = 50055
    # The SMTP server that accepts the mails (the organisation's relay). STARTTLS when it offers it
    # and starttls is true; login only when a username is set.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(25, gt=0, lt=65536)
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_timeout_seconds: float = Field(10.0, gt=0, le=120)
    from_address: str = "civicpool <noreply@civicpool.invalid>"
    # The portal's address, for the links in the mails.
    portal_url: str = "http://127.0.0.1:8000/portal"
    # How often the queue is worked: events resolved into mails, due mails sent.
    send_interval_seconds: float = Field(2.0, gt=0, le=3600)
    # A failed send waits retry_base_seconds, doubled per attempt, at most retry_max_seconds.
    retry_base_seconds: float = Field(5.0, gt=0, le=3600)
    retry_max_seconds: float = Field(600.0, gt=0, le=86400)
