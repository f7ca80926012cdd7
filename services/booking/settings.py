"""booking's settings (PORTAIL_* environment variables, kit/settings.py)."""

from __future__ import annotations

from pydantic import Field

from kit.settings import ServiceSettings


class BookingSettings(ServiceSettings):
    # shorter than the gateway's wait for a service (10 s): a basket is recorded whole, or not at all
    confirm_deadline_seconds: float = Field(default=8.0, gt=0, le=60)
    # the waiting room (docs/adr/0008): workers recording the queued confirmations in order (each holds
    # one database connection while it records), and how long a parent's request waits for its answer
    # before being shown its position instead
    admission_workers: int = Field(default=4, ge=1, le=32)
    admission_wait_seconds: float = Field(default=3.0, ge=0, le=8)
    # the booking reminder (issue 19): how many days before a booking period's deadline a family that has
    # booked none of its days is reminded (services/booking/domain/reminders.py)
    reminder_days_before: int = Field(default=7, ge=0, le=60)
