"""The life cycle of one sheet of the family dossier.

À remplir → Brouillon (« Enregistrer en brouillon ») → Transmise (« Valider et transmettre la
fiche », no longer editable) → Validée or Refusée by the manager; a refused sheet is corrected
and transmitted again. Each campaign (school year) every sheet goes back to « À remplir ». The state
names and labels are published in ``contracts.dossier_sheets``; the changes are decided here."""

from __future__ import annotations

from collections.abc import Iterable

from contracts.dossier_sheets import STATE_LABELS, SheetState

__all__ = [
    "EDITABLE",
    "STATE_LABELS",
    "DossierError",
    "SheetState",
    "can_edit",
    "can_review",
    "check_editable",
    "renew_for_campaign",
    "review",
    "save_draft",
    "submit",
]


EDITABLE: frozenset[SheetState] = frozenset({SheetState.TO_FILL, SheetState.DRAFT, SheetState.REFUSED})

LOCKED_MESSAGE = "Cette fiche a été transmise : elle n'est plus modifiable."
NOT_SUBMITTED_MESSAGE = "Seule une fiche transmise peut être validée ou refusée."
REASON_REQUIRED_MESSAGE = "Indiquez le motif du refus : la famille en a besoin pour corriger sa fiche."


class DossierError(Exception):
    """A refused action on the dossier; ``message`` is French and may be shown as is.
    ``missing`` holds the labels of what is still to fill in, when that is the cause."""

    def __init__(self, message: str, missing: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.missing: list[str] = list(missing)


def can_edit(state: SheetState | str) -> bool:
    return SheetState(state) in EDITABLE


def can_review(state: SheetState | str) -> bool:
    return SheetState(state) is SheetState.SUBMITTED


def check_editable(state: SheetState | str) -> None:
    """DossierError when the sheet is locked (transmitted or validated): its data and its documents
    may no longer change."""
    if not can_edit(state):
        raise DossierError(LOCKED_MESSAGE)


def save_draft(state: SheetState | str) -> SheetState:
    """« Enregistrer en brouillon »."""
    check_editable(state)
    return SheetState.DRAFT


def missing_message(missing: Iterable[str]) -> str:
    items = [m for m in missing if m]
    return "Pour transmettre la fiche, complétez : " + " ; ".join(items) + "."


def submit(state: SheetState | str, missing: list[str]) -> SheetState:
    """« Valider et transmettre la fiche »: only an editable, complete sheet."""
    check_editable(state)
    if missing:
        raise DossierError(missing_message(missing), missing)
    return SheetState.SUBMITTED


def review(state: SheetState | str, approve: bool, reason: str | None) -> SheetState:
    """The manager's decision on a transmitted sheet; a refusal must say why."""
    if not can_review(state):
        raise DossierError(NOT_SUBMITTED_MESSAGE)
    if approve:
        return SheetState.APPROVED
    if reason is None or not reason.strip():
        raise DossierError(REASON_REQUIRED_MESSAGE)
    return SheetState.REFUSED


def renew_for_campaign(state: SheetState | str) -> SheetState:
    """A new school year: every sheet must be validated and transmitted again, whatever its
    state (its data is kept by the caller to prefill the form)."""
    SheetState(state)  # refuses an unknown state
    return SheetState.TO_FILL
