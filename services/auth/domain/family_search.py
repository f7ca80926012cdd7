"""Staff's search of families: what a typed query matches, and which page of the answer is shown.

A query is cut into words (at most MAX_WORDS, each at most MAX_WORD characters); a family is found when
every word is part of its identifiant, a guardian's or a child's first or last name, or one of its e-mail
addresses (case does not count), or when the whole query is part of its address (dossier owns the address
and names the families it matches: docs/adr/0010-staff-family-search.md). No query lists every family of
the structure. The answer comes in pages of PAGE_SIZE, by identifiant."""

from __future__ import annotations

import math
from dataclasses import dataclass

PAGE_SIZE = 20
MAX_WORDS = 5
MAX_WORD = 60
MAX_PAGE = 10_000


def query_words(raw: str | None) -> list[str]:
    """The words of a query, lowercased, in order, without repeats (none: every family)."""
    words: list[str] = []
    for word in (raw or "").lower().split():
        word = word[:MAX_WORD]
        if word not in words:
            words.append(word)
    return words[:MAX_WORDS]


def page_number(raw: str | int | None) -> int:
    """The page asked for (from 1); anything else is the first page."""
    try:
        number = int(raw or 1)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


@dataclass(frozen=True)
class Pages:
    """Where a page lies in an answer of `total` families."""

    number: int
    total: int
    size: int = PAGE_SIZE

    @property
    def count(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.count

    def within(self) -> Pages:
        """The same page, or the last one when it lies past the end."""
        return self if self.number <= self.count else Pages(self.count, self.total, self.size)
