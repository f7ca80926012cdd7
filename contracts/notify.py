"""Commands addressed to the notify service (internal exchange: they may carry secrets)."""

from __future__ import annotations

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
