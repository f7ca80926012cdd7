"""Suivi des réservations: which of a family's requests a filter shows, and the state each is told in."""

from __future__ import annotations

__all__ = ["TYPES", "state_label", "visible"]

TYPES = ("pending", "waitlisted", "refused", "accepted", "transmitted", "not_transmitted")


def state_label(status: str, transmitted: bool, position: int | None) -> str:
    label = {"accepted": "Acceptée", "refused": "Refusée", "pending": "En attente réponse",
             "cancelled": "Annulée"}.get(status, status)
    if status == "waitlisted":
        label = f"En liste d'attente (position {position})" if position else "En liste d'attente"
    if not transmitted and status != "pending":
        label += ", non transmise"
    return label


def visible(status: str, transmitted: bool, types: set[str]) -> bool:
    """The guide's type boxes: a line shows when its kind and its transmission state are both ticked."""
    if status == "cancelled":
        return not transmitted and "not_transmitted" in types  # a cancellation shows until it is transmitted
    kind_ok = status in types
    sent_ok = ("transmitted" if transmitted else "not_transmitted") in types
    return kind_ok and (sent_ok or status == "pending")
