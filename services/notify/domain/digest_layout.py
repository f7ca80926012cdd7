"""The morning digest's layout: "compte-rendu de vos réservations", one mail per family and structure
summing up the night's transmitted movements — which sections, activities, children and days it shows,
in which order, and its counts. Pure: the mail is written from this layout by services/notify/templates.py."""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from contracts.booking import TransmittedLine

SHORT_WEEKDAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")

WAITLISTED = "RESERVATIONS MISES EN LISTE D'ATTENTE"
ACCEPTED = "RESERVATIONS ACCEPTEES"
REFUSED = "RESERVATIONS REFUSEES"
CANCELLED = "RESERVATIONS ANNULEES"
SECTIONS = (WAITLISTED, ACCEPTED, REFUSED, CANCELLED)
JUSTIFIED = "ABSENCES JUSTIFIEES"  # issue 19: the days of an accepted declared absence
CHARGED_NOTE = " (facturé : délai de carence)"


@dataclass(frozen=True)
class DigestLayout:
    """What the digest says; `sections`: [{"title", "activities": [{"name", "children": [{"name",
    "dates"}]}]}] in the order shown."""

    greeting: str
    structure: str
    total: int
    reserves: int
    cancels: int
    sections: list[dict]
    justified: int = 0  # days of justified absence (their section is the last one)


def french_short_date(d: dt.date) -> str:
    """"lun. 15/05"."""
    return f"{SHORT_WEEKDAYS[d.weekday()]} {d:%d/%m}"


def collapse(lines: Sequence[TransmittedLine]) -> list[TransmittedLine]:
    """One line per (booking_id, kind), the last one winning, in order of first appearance: a request
    waitlisted then promoted the same night is reported once, as accepted."""
    last: dict[tuple[uuid.UUID, str], TransmittedLine] = {}
    for line in lines:
        last[(line.booking_id, line.kind)] = line  # re-assigning keeps the key's first position
    return list(last.values())


def _section(line: TransmittedLine) -> str:
    if line.kind == "cancel" or line.outcome == "cancelled":
        return CANCELLED
    if line.outcome == "waitlisted":
        return WAITLISTED
    if line.outcome == "refused":
        return REFUSED
    return ACCEPTED  # reserve + accepted


def _sort_key(name: str) -> tuple[str, str]:
    """Alphabetical the French way: accents and case do not count (É sorts with E), then exact name."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return plain.casefold(), name


def _child_name(line: TransmittedLine) -> str:
    return " ".join(f"{line.child_last_name.strip().upper()} {line.child_first_name.strip()}".split())


def _activity_name(line: TransmittedLine) -> str:
    return " ".join(line.activity_name.upper().split())


def _sections(lines: Sequence[TransmittedLine]) -> list[dict]:
    # section -> activity name -> (child name, child id) -> dates
    tree: dict[str, dict[str, dict[tuple[str, uuid.UUID], set[dt.date]]]] = {}
    for line in lines:
        activities = tree.setdefault(_section(line), {})
        children = activities.setdefault(_activity_name(line), {})
        children.setdefault((_child_name(line), line.child_id), set()).add(line.date)
    return [
        {"title": title,
         "activities": [
             {"name": activity,
              "children": [
                  {"name": child, "dates": [french_short_date(d) for d in sorted(dates)]}
                  for (child, child_id), dates in sorted(tree[title][activity].items(),
                                                         key=lambda item: (*_sort_key(item[0][0]),
                                                                           str(item[0][1])))
              ]}
             for activity in sorted(tree[title], key=_sort_key)
         ]}
        for title in SECTIONS if title in tree
    ]


@dataclass(frozen=True)
class JustifiedDay:
    """A booked day of an accepted declared absence (booking.absence_justified), as the digest says it."""

    child: str
    activity: str
    day: dt.date
    charged: bool


def _justified_section(days: Sequence[JustifiedDay]) -> list[dict]:
    if not days:
        return []
    tree: dict[str, dict[str, list[JustifiedDay]]] = {}
    for d in days:
        tree.setdefault(" ".join(d.activity.upper().split()), {}).setdefault(d.child, []).append(d)
    return [{"title": JUSTIFIED, "activities": [
        {"name": activity, "children": [
            {"name": child, "dates": [french_short_date(d.day) + (CHARGED_NOTE if d.charged else "")
                                      for d in sorted(tree[activity][child], key=lambda d: d.day)]}
            for child in sorted(tree[activity], key=_sort_key)]}
        for activity in sorted(tree, key=_sort_key)]}]


def digest_layout(greeting: str, structure_name: str, lines: Sequence[TransmittedLine],
                  justified: Sequence[JustifiedDay] = ()) -> DigestLayout | None:
    """The digest of one family's movements (and justified absences) on one structure; None when there is
    nothing to report."""
    movements = collapse(lines)
    if not movements and not justified:
        return None
    return DigestLayout(
        greeting=greeting.strip(),
        structure=" ".join(structure_name.split()),
        total=len(movements),
        reserves=sum(1 for line in movements if line.kind == "reserve"),
        cancels=sum(1 for line in movements if line.kind == "cancel"),
        sections=_sections(movements) + _justified_section(justified),
        justified=len(justified),
    )
