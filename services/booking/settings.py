"""booking's settings (PORTAIL_* environment variables, kit/settings.py)."""

from __future__ import annotations

from pydantic import Field

from kit.settings import ServiceSettings


class BookingSettings(ServiceSettings):
    # shorter than the gateway's wait for a service (10 s): a basket is recorded whole, or not at all
    confirm_deadline_seconds: float = Field(default=8.0, gt=0, le=60)
