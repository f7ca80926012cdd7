"""Commands addressed to the notify service (internal exchange: they may carry secrets)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import EmailStr, Field

from contracts.envelope import INTERNAL, Message


class NotifySendV1(Message):
    """Send one mail from a template that notify owns."""

    TYPE = "notify.send"
    VERSION = 1
    EXCHANGE = INTERNAL
    DESCRIPTION = "Command: send a mail rendered from one of notify's templates (internal exchange only)."

    to: list[EmailStr] = Field(min_length=1, max_length=10)
    template: Literal["password_reset", "account_created", "message"]
    params: dict[str, str] = Field(default_factory=dict)
    family_id: uuid.UUID | None = None
