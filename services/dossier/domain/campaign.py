"""The sheets of a family in a campaign (school year): which sheets it has, how a new campaign opens
them (prefilled with last year's data, back to « À remplir » through ``states.renew_for_campaign``),
how a sheet is named and how far the family has got."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from uuid import UUID

from contracts.dossier_sheets import CHILD_KINDS, LABELS, SheetKind, SheetState

from .states import renew_for_campaign

__all__ = [
    "CHILD_ORDER",
    "DONE_STATES",
    "Progress",
    "Subject",
    "is_school_year",
    "missing_subjects",
    "opening_state",
    "progress",
    "sheet_label",
    "subjects",
]

# The sheets of each child, in the order the dossier lists them.
CHILD_ORDER = (SheetKind.ASSURANCE, SheetKind.AUTORISATIONS, SheetKind.CONTACTS, SheetKind.SANITAIRE,
               SheetKind.REGLEMENT)
# A sheet the family is done with: transmitted (waiting for its review) or validated.
DONE_STATES = frozenset({SheetState.SUBMITTED, SheetState.APPROVED})


@dataclass(frozen=True)
class Subject:
    """What one sheet is about: the family, another guardian, a child (and, for a règlement intérieur,
    the child's structure). ``key`` identifies it from one campaign to the next."""

    kind: SheetKind
    key: str
    child_id: UUID | None = None
    structure_id: UUID | None = None


def subjects(other_guardians: Iterable[UUID], children: Iterable[tuple[UUID, UUID | None]]) -> list[Subject]:
    """The sheets of a family: one family sheet, one per other guardian (rank 2), and per child (given as
    (child, structure) in the dossier's order) an insurance, authorisations, contacts and health sheet and
    a règlement intérieur for the child's structure."""
    found = [Subject(SheetKind.FAMILLE, "family")]
    found += [Subject(SheetKind.AUTRE_RESPONSABLE, f"guardian:{g}") for g in other_guardians]
    for child_id, structure_id in children:
        for kind in CHILD_ORDER:
            if kind is SheetKind.REGLEMENT:
                found.append(Subject(kind, f"child:{child_id}:{structure_id}", child_id, structure_id))
            else:
                found.append(Subject(kind, f"child:{child_id}", child_id))
    return found


def opening_state(previous: SheetState | str | None) -> SheetState:
    """The state a sheet opens in: last year's sheet renewed for the new campaign, or « À remplir »."""
    return renew_for_campaign(previous) if previous is not None else SheetState.TO_FILL


def is_school_year(text: str) -> bool:
    """« 2026-2027 »: two consecutive years."""
    try:
        start, end = (int(x) for x in text.split("-"))
    except ValueError:
        return False
    return end == start + 1


def sheet_label(kind: SheetKind | str, child_first_name: str | None) -> str:
    """« Fiche sanitaire — Léo » for a child's sheet, the sheet's label otherwise."""
    kind = SheetKind(kind)
    return f"{LABELS[kind]} — {child_first_name}" if child_first_name and kind in CHILD_KINDS else LABELS[kind]


@dataclass(frozen=True)
class Progress:
    transmitted: int
    total: int

    @property
    def complete(self) -> bool:
        return self.transmitted == self.total


def progress(states: Iterable[SheetState | str]) -> Progress:
    """How many of the family's sheets are transmitted or validated, out of all of them."""
    listed = [SheetState(s) for s in states]
    return Progress(sum(s in DONE_STATES for s in listed), len(listed))


def missing_subjects(all_subjects: Iterable[Subject], existing: Collection[tuple[str, str]]) -> list[Subject]:
    """The subjects with no sheet yet in the campaign (``existing`` holds (kind, key) pairs)."""
    return [s for s in all_subjects if (s.kind.value, s.key) not in existing]
