"""Suivi des réservations: which of a family's requests a filter shows, the state each is told in, and the
cost it shows."""

from __future__ import annotations

__all__ = ["ABSENCE_LABELS", "TYPES", "line_cost", "state_label", "visible"]

TYPES = ("pending", "waitlisted", "refused", "accepted", "transmitted", "not_transmitted")


# A declared absence on an accepted booking (issue 19: services/booking/domain/absences.py), as the line says it.
ABSENCE_LABELS = {"declared": "absence déclarée, en attente de réponse", "justified": "absence justifiée",
                  "justified_charged": "absence justifiée (délai de carence : facturée)",
                  "refused": "absence refusée"}


def state_label(status: str, transmitted: bool, position: int | None, absence: str | None = None) -> str:
    label = {"accepted": "Acceptée", "refused": "Refusée", "pending": "En attente réponse",
             "cancelled": "Annulée"}.get(status, status)
    if status == "waitlisted":
        label = f"En liste d'attente (position {position})" if position else "En liste d'attente"
    if not transmitted and status != "pending":
        label += ", non transmise"
    if status == "accepted" and absence in ABSENCE_LABELS:
        label += f", {ABSENCE_LABELS[absence]}"
    return label


def visible(status: str, transmitted: bool, types: set[str]) -> bool:
    """The guide's type boxes: a line shows when its kind and its transmission state are both ticked."""
    if status == "cancelled":
        return not transmitted and "not_transmitted" in types  # a cancellation shows until it is transmitted
    kind_ok = status in types
    sent_ok = ("transmitted" if transmitted else "not_transmitted") in types
    return kind_ok and (sent_ok or status == "pending")


def line_cost(status: str, charged_cents: int | None, priced_now: int | None, absence: str | None = None) -> int | None:
    """An accepted booking whose acceptance was transmitted costs what it was charged (the price its line
    carried to billing: docs/adr/0003); a line waiting for an answer or on the waiting list, what the rule
    gives today (the guide's « Le coût peut évoluer en fonction de la date de révision des tarifs »). A
    refused or cancelled line will never be charged: it shows no cost. A day of justified absence past the
    waiting period costs nothing."""
    if status in ("refused", "cancelled"):
        return None
    if status == "accepted" and absence == "justified":
        return 0
    if status == "accepted" and charged_cents is not None:
        return charged_cents
    return priced_now
