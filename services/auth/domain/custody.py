"""Shared custody (garde alternée): a child belongs to its first family and, at most, to one second
household, each with its own account. The rule of who may become that second household, and the order in
which the child's households are told to the other services (first family first)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

MAX_HOUSEHOLDS = 2


def households(first_family: uuid.UUID, second: uuid.UUID | None) -> list[uuid.UUID]:
    """The child's households as the events carry them: empty for a child of one family only."""
    return [] if second is None else [first_family, second]


def link_refusal(first_family: uuid.UUID, wanted: uuid.UUID, current: Sequence[uuid.UUID]) -> str | None:
    """Why `wanted` cannot become the child's second household (None: it may, or already is)."""
    if wanted == first_family:
        return "Cet enfant appartient déjà à ce foyer."
    if wanted in current:
        return None
    if len(current) >= MAX_HOUSEHOLDS:
        return "Cet enfant est déjà rattaché à deux foyers (garde alternée)."
    return None
