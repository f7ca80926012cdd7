"""The roster (liste de présence) of an activity's day, as booking knows it: who is expected (accepted), who
waits on the list (in order) and whose request waits for a decision; and which activities serve a meal (the
day summary's « repas »). Pure rules: the bookings read from the store are handed in."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import time

__all__ = ["GROUPS", "RosterGroup", "RosterLine", "group_roster", "serves_meal"]

# The roster's parts, in the order the team reads them: status → (key, French title).
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("accepted", "attendus", "Enfants attendus"),
    ("waitlisted", "attente", "Liste d'attente"),
    ("pending", "demandes", "Demandes en attente de décision"),
)

# An activity serves a meal when its name says so: the school restaurant (« Restauration scolaire »,
# « cantine »), a « repas » or « déjeuner », a day with its meal (« ALSH Journée Vacances avec repas »).
# « sans repas » says the contrary.
_MEAL = re.compile(r"\b(restauration|cantine|repas|dejeuner|restaurant)\b")
_NO_MEAL = re.compile(r"\bsans (repas|dejeuner)\b")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def serves_meal(activity_name: str) -> bool:
    folded = _fold(activity_name)
    return bool(_MEAL.search(folded)) and not _NO_MEAL.search(folded)


@dataclass(frozen=True)
class RosterLine:
    """A child booked on the day: its request's status, hours and (waiting list) position."""

    child_id: object
    first_name: str
    last_name: str
    status: str
    arrival: time
    departure: time
    request_seq: int


@dataclass(frozen=True)
class RosterGroup:
    key: str
    title: str
    lines: list[RosterLine]


def group_roster(lines: Iterable[RosterLine]) -> list[RosterGroup]:
    """The three parts of a roster: the expected children by name; the waiting list in its order (the
    first asked is the first to get a place); the requests waiting for a decision by name. Refused and
    cancelled requests are not on a roster."""
    by_status: dict[str, list[RosterLine]] = {status: [] for status, _, _ in GROUPS}
    for line in lines:
        if line.status in by_status:
            by_status[line.status].append(line)
    groups = []
    for status, key, title in GROUPS:
        found: Sequence[RosterLine] = by_status[status]
        if status == "waitlisted":
            ordered = sorted(found, key=lambda line: line.request_seq)
        else:
            ordered = sorted(found, key=lambda line: (_fold(line.last_name), _fold(line.first_name)))
        groups.append(RosterGroup(key, title, list(ordered)))
    return groups
