"""The automatic reminders as notify sends them (issue 19): which mail each reason makes, and whether a
family gets it. Who is due, and when, is the producer's rule (booking: services/booking/domain/reminders.py;
dossier: services/dossier/domain/closing.py); notify keeps the promise made to the family: never a reminder
once it turned them off, never twice the same reason."""

from __future__ import annotations

from services.notify.domain.mail_choice import DOSSIER_REMINDER, FamilyMail

__all__ = ["BOOKING_REMINDER", "DOSSIER_CLOSING_REMINDER", "reminder_to_send"]

BOOKING_REMINDER = FamilyMail("booking_reminder")
# the staff's reminder's mail (issue 16), told that the campaign closes soon and the dossier is incomplete
DOSSIER_CLOSING_REMINDER = DOSSIER_REMINDER


def reminder_to_send(reminders_off: bool, first_for_reason: bool) -> bool:
    """A reminder is mailed to a family that did not turn them off, the first time for its reason only."""
    return not reminders_off and first_for_reason
