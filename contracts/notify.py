"""Commands addressed to the notify service (internal exchange: they may carry secrets)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import ConfigDict, EmailStr, Field

from contracts.envelope import INTERNAL, Message

# Example payload, shown in contracts/asyncapi.json (and checked valid by the unit tests).
EXAMPLE = {
    "to": ["parent@example.org"],
    "template": "password_reset",
    "params": {"identifiant": "famille.martin", "lien": "https://portail.example.org/mot-de-passe/XXXX"},
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
}


class NotifySendV1(Message):
    """Send one mail from a template that notify owns."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    TYPE = "notify.send"
    VERSION = 1
    EXCHANGE = INTERNAL
    EXAMPLE_PRODUCER = "auth"
    DESCRIPTION = "Command: send a mail rendered from one of notify's templates (internal exchange only)."

    to: list[EmailStr] = Field(min_length=1, max_length=10)
    template: Literal["password_reset", "account_created", "message"]
    params: dict[str, str] = Field(default_factory=dict)
    family_id: uuid.UUID | None = None


MAIL_SENT_EXAMPLE = {
    "delivery_id": 42,
    "template": "digest",
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "source_event_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "recipients": 2,
    "sent_at": "2025-09-05T07:00:03Z",
}


class NotifyMailSentV1(Message):
    """A mail was handed to the SMTP server (never its body nor its addresses)."""

    model_config = ConfigDict(json_schema_extra={"examples": [MAIL_SENT_EXAMPLE]})

    TYPE = "notify.mail_sent"
    VERSION = 1
    DESCRIPTION = "A mail was delivered to the SMTP server: which template, for which family, from which event."

    delivery_id: int
    template: str
    family_id: uuid.UUID | None = None
    source_event_id: uuid.UUID
    recipients: int = Field(ge=1)
    sent_at: dt.datetime
