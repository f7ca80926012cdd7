"""The morning digest: "compte-rendu de vos réservations", one mail per family and structure summing up
the night's transmitted movements (pure, no I/O beyond reading the template files)."""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from contracts.booking import TransmittedLine

_DIR = Path(__file__).parent / "templates"
# Autoescape for digest.html only; trim/lstrip so the block tags leave no stray lines in the text part.
_env = Environment(loader=FileSystemLoader(_DIR), undefined=StrictUndefined,
                   autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False,
                                                default=False),
                   keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)

SHORT_WEEKDAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")

WAITLISTED = "RESERVATIONS MISES EN LISTE D'ATTENTE"
ACCEPTED = "RESERVATIONS ACCEPTEES"
REFUSED = "RESERVATIONS REFUSEES"
PENDING = "DEMANDES EN ATTENTE DE REPONSE"
CANCELLED = "RESERVATIONS ANNULEES"
SECTIONS = (WAITLISTED, ACCEPTED, REFUSED, PENDING, CANCELLED)


@dataclass(frozen=True)
class Digest:
    subject: str
    text: str
    html: str


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
    if line.outcome == "pending":
        return PENDING
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


def build_digest(greeting: str, structure_name: str, lines: Sequence[TransmittedLine],
                 portal_url: str) -> Digest | None:
    """The digest of one family's movements on one structure; None when there is nothing to report."""
    movements = collapse(lines)
    if not movements:
        return None
    context = {
        "greeting": greeting.strip(),
        "structure": " ".join(structure_name.split()),
        "total": len(movements),
        "reserves": sum(1 for line in movements if line.kind == "reserve"),
        "cancels": sum(1 for line in movements if line.kind == "cancel"),
        "sections": _sections(movements),
        "portal_url": portal_url,
    }
    subject = " ".join(_env.get_template("digest.subject").render(context).split())
    text = _env.get_template("digest.txt").render(context)
    html = _env.get_template("digest.html").render(context)
    return Digest(subject, text, html)
