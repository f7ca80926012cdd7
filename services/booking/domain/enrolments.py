"""A class list recognised among the structure's children, so staff enrol a whole class by its names.

The list is what a school or a spreadsheet gives: one child a line, pasted or uploaded, either a name
(« DUPONT Léa », « Léa Dupont ») or CSV fields (« Dupont;Léa;03/05/2018 », separated by `;`, `,` or a tab),
a birth date optional (JJ/MM/AAAA or AAAA-MM-JJ), a header line (« Nom;Prénom… ») ignored. A line names
a child when its words are exactly the child's first and last names' words, whatever the order, the case,
the accents or the hyphens; a birth date, when given, must agree. A line naming two homonyms or nobody is
shown as such: staff then choose in the list of the structure's children.

Pure: no database; the caller gives the children of the activity's structure."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

__all__ = ["MAX_LIST_LINES", "LineMatch", "ListLine", "Pupil", "match_class_list", "read_class_list"]

MAX_LIST_LINES = 1000
_SEPARATORS = re.compile(r"[;,\t]")
_WORDS = re.compile(r"[^\w]+")
_HEADER_WORDS = {"nom", "prenom", "prenoms", "date", "de", "naissance", "classe", "enfant", "eleve"}


@dataclass(frozen=True)
class Pupil:
    """A child of the structure, as the list is matched against."""

    child_id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date


@dataclass(frozen=True)
class ListLine:
    number: int  # in the list as given, from 1
    text: str
    words: frozenset[str]
    birth_date: date | None


@dataclass(frozen=True)
class LineMatch:
    line: ListLine
    found: tuple[Pupil, ...]  # none: nobody of that name; one: recognised; more: homonyms

    @property
    def recognised(self) -> Pupil | None:
        return self.found[0] if len(self.found) == 1 else None


def _words(text: str) -> frozenset[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return frozenset(w for w in _WORDS.split(plain.replace("_", " ")) if w)


def _birth_date(field: str) -> date | None:
    for shape in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(field.strip(), shape).date()
        except ValueError:
            continue
    return None


def read_class_list(text: str) -> list[ListLine]:
    """The list's lines that name someone (blank lines and a header line left out). ValueError (French)
    beyond MAX_LIST_LINES lines."""
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        fields = [f.strip() for f in _SEPARATORS.split(raw) if f.strip()]
        born = next((d for d in map(_birth_date, fields) if d is not None), None)
        words = frozenset().union(*(_words(f) for f in fields if _birth_date(f) is None))
        if not words or (number == 1 and "nom" in words and words <= _HEADER_WORDS):
            continue
        lines.append(ListLine(number, raw.strip(), words, born))
        if len(lines) > MAX_LIST_LINES:
            raise ValueError(f"La liste dépasse {MAX_LIST_LINES} enfants : découpez-la.")
    return lines


def match_class_list(lines: Sequence[ListLine], pupils: Sequence[Pupil]) -> list[LineMatch]:
    """Each line with the children it names (see the module's rule)."""
    by_words: dict[frozenset[str], list[Pupil]] = {}
    for p in pupils:
        by_words.setdefault(_words(f"{p.first_name} {p.last_name}"), []).append(p)
    matches = []
    for line in lines:
        found = by_words.get(line.words, [])
        if line.birth_date is not None:
            found = [p for p in found if p.birth_date == line.birth_date]
        matches.append(LineMatch(line, tuple(sorted(found, key=lambda p: (p.birth_date, str(p.child_id))))))
    return matches
