"""Declared absences (illness), the rules: which days a family may declare (its child's accepted bookings in
the range, even past the cancellation deadline), how staff answer (a refusal says why), and the structure's
waiting period (« délai de carence »): the first N booked days of an accepted absence stay charged, the
others are « absence justifiée », not charged (credited if already invoiced)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from contracts.errors import Conflict, Invalid

__all__ = ["DEFAULT_WAITING_DAYS", "MAX_DAYS", "MAX_WAITING_DAYS", "STATUS_LABELS", "answer_status", "charged_bookings",
           "check_range", "check_waiting_days", "require_pending", "require_some_days"]

DEFAULT_WAITING_DAYS = 1  # a structure that set no rule: the first day is charged, as the guide's example
MAX_WAITING_DAYS = 30
MAX_DAYS = 31  # one declaration covers a month at most: a longer illness is declared again
STATUS_LABELS = {"pending": "En attente de réponse", "accepted": "Absence justifiée", "refused": "Absence refusée"}


def check_range(start: date, end: date) -> None:
    if end < start:
        raise Invalid("La date de fin de l'absence doit suivre sa date de début.")
    if (end - start).days + 1 > MAX_DAYS:
        raise Invalid(f"Une absence se déclare sur {MAX_DAYS} jours au plus : déclarez la suite à part.")


def check_waiting_days(days: int) -> None:
    if not 0 <= days <= MAX_WAITING_DAYS:
        raise Invalid(f"Le délai de carence se compte en jours, de 0 à {MAX_WAITING_DAYS}.")


def require_some_days(booked: Sequence[object]) -> None:
    """An absence covers booked days: without any, there is nothing to justify."""
    if not booked:
        raise Invalid("Aucun jour réservé (et non déjà déclaré) pour cet enfant sur ces dates.")


def answer_status(decision: str, reason: str | None) -> str:
    """The absence's status after staff's answer; a refusal must say why (the family reads it)."""
    if decision == "accept":
        return "accepted"
    if decision == "refuse":
        if not (reason or "").strip():
            raise Invalid("Le motif est obligatoire pour refuser une absence.")
        return "refused"
    raise Invalid("Décision inconnue : accepter ou refuser.")


def require_pending(status: str) -> None:
    if status != "pending":
        raise Conflict("Cette absence a déjà reçu une réponse.")


def charged_bookings(booked: Sequence[tuple[uuid.UUID, date]], waiting_days: int) -> dict[uuid.UUID, bool]:
    """Each booking of the absence and whether it stays charged: those on its first `waiting_days` booked
    dates (every activity of such a day), in date order."""
    waiting = set(sorted({day for _, day in booked})[:waiting_days])
    return {booking_id: day in waiting for booking_id, day in booked}
