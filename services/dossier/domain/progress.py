"""How far the families of a structure have got with the campaign (the staff's « Campagne » page), and
who may be reminded: per sheet kind, how many families are in each state; which families have not
started; and the reminder rule (one mail per family and day, whoever clicks and however often)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from contracts.dossier_sheets import LABELS, SheetKind, SheetState

__all__ = [
    "KINDS",
    "STATE_ORDER",
    "KindProgress",
    "family_state",
    "kind_progress",
    "not_started",
    "reminder_due",
]

# The kinds in the order of the dossier; a family without any sheet yet is « À remplir » for each of
# these but the other guardian's, which only families with a second responsable have.
KINDS = (SheetKind.FAMILLE, SheetKind.AUTRE_RESPONSABLE, SheetKind.ASSURANCE, SheetKind.AUTORISATIONS,
         SheetKind.CONTACTS, SheetKind.SANITAIRE, SheetKind.REGLEMENT)
_EVERY_FAMILY = tuple(k for k in KINDS if k is not SheetKind.AUTRE_RESPONSABLE)
# A family with several sheets of a kind (one per child) is counted at the one that needs it most.
STATE_ORDER = (SheetState.TO_FILL, SheetState.REFUSED, SheetState.DRAFT, SheetState.SUBMITTED, SheetState.APPROVED)


@dataclass(frozen=True)
class KindProgress:
    kind: SheetKind
    label: str
    families: dict[SheetState, int]

    @property
    def total(self) -> int:
        return sum(self.families.values())


def family_state(states: Iterable[SheetState | str]) -> SheetState:
    """A family's state for one kind: the least advanced of its sheets of that kind."""
    return min((SheetState(s) for s in states), key=STATE_ORDER.index)


def kind_progress(sheets_by_family: Mapping[UUID, Iterable[tuple[SheetKind | str, SheetState | str]]]
                  ) -> list[KindProgress]:
    """Per kind, how many families are in each state. ``sheets_by_family`` holds each family's sheets
    (kind, state) that count for the structure; a family without any counts as « À remplir »."""
    counts = {k: dict.fromkeys(STATE_ORDER, 0) for k in KINDS}
    for sheets in sheets_by_family.values():
        by_kind: dict[SheetKind, list[SheetState]] = {}
        for kind, state in sheets:
            by_kind.setdefault(SheetKind(kind), []).append(SheetState(state))
        if not by_kind:
            by_kind = {k: [SheetState.TO_FILL] for k in _EVERY_FAMILY}
        for kind, states in by_kind.items():
            counts[kind][family_state(states)] += 1
    return [KindProgress(k, LABELS[k], counts[k]) for k in KINDS]


def not_started(sheets: Iterable[tuple[SheetKind | str, SheetState | str]]) -> bool:
    """A family has not started its dossier while every sheet it has is « À remplir » (or it has none)."""
    return all(SheetState(state) is SheetState.TO_FILL for _, state in sheets)


def reminder_due(last_reminded_on: date | None, today: date) -> bool:
    """A family is reminded at most once a day (Paris): a second click the same day mails nobody again."""
    return last_reminded_on is None or last_reminded_on < today
