"""The tariff rule, shared by billing (which owns the tariffs) and booking (which shows costs in its recap).

Everything is in integer cents. A tariff has versions (one per revision date); the version in force on a
day is the latest whose ``effective_from`` is on or before that day. Within a version, the price depends
on the family's quotient familial (QF) through brackets, and possibly on the child's rank in the family
(reduced price from the second child, for example).

Pure functions: no clock, no database. Error messages are in French (they may reach a user).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import date, time
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

Unit = Literal["session", "half_hour", "hour"]

_UNIT_SECONDS: dict[str, int] = {"half_hour": 30 * 60, "hour": 60 * 60}


class Bracket(BaseModel):
    """One quotient familial bracket of a tariff."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    qf_max: int | None = Field(
        default=None, ge=0, description="Upper bound of the quotient familial, inclusive; None: no upper bound."
    )
    price_cents: int = Field(ge=0, description="Price per unit, in cents.")
    reduced_price_cents: int | None = Field(
        default=None, ge=0,
        description="Price per unit for the children of rank >= Tariff.reduced_from_rank, in cents.",
    )


class Tariff(BaseModel):
    """One version of an activity's tariff, in force from ``effective_from``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tariff_id: uuid.UUID
    activity_id: uuid.UUID
    effective_from: date = Field(description="Revision date: this version applies from this day on.")
    unit: Unit = Field(
        default="session",
        description="session: one price per booked day; half_hour / hour: per started half-hour or hour "
                    "(time-entry activities).",
    )
    brackets: list[Bracket] = Field(
        min_length=1, description="By qf_max strictly ascending; at most one open bracket (qf_max None), last."
    )
    reduced_from_rank: int | None = Field(
        default=None, ge=2,
        description="From this child rank on (eldest = 1), reduced_price_cents applies when the bracket has one.",
    )

    @model_validator(mode="after")
    def _brackets_in_order(self) -> Tariff:
        bounds = [b.qf_max for b in self.brackets]
        if None in bounds[:-1]:
            raise ValueError("Seule la dernière tranche peut être sans plafond de quotient familial.")
        closed = [b for b in bounds if b is not None]
        if any(later <= earlier for earlier, later in itertools.pairwise(closed)):
            raise ValueError(
                "Les tranches doivent être classées par plafond de quotient familial strictement croissant."
            )
        return self


class Price(NamedTuple):
    unit_price_cents: int
    quantity: int  # 1 per session, or the number of started half-hours / hours
    total_cents: int


def current_tariff(versions: Sequence[Tariff], day: date) -> Tariff | None:
    """The version in force on ``day``: the latest ``effective_from`` on or before it (None before the first).

    Versions must be of one activity. Two versions with the same revision date: the later in the
    sequence wins (a re-published correction).
    """
    activities = {v.activity_id for v in versions}
    if len(activities) > 1:
        raise ValueError("Les versions de tarif doivent concerner une seule activité.")
    best: Tariff | None = None
    for version in versions:
        if version.effective_from <= day and (best is None or version.effective_from >= best.effective_from):
            best = version
    return best


def bracket_for(tariff: Tariff, family_quotient: int | None) -> Bracket:
    """The first bracket whose ceiling is at or above the QF; an unknown QF (None) pays the last, highest bracket.

    A QF above every ceiling (no open bracket) also pays the last bracket.
    """
    if family_quotient is None:
        return tariff.brackets[-1]
    if family_quotient < 0:
        raise ValueError("Le quotient familial ne peut pas être négatif.")
    for bracket in tariff.brackets:
        if bracket.qf_max is None or family_quotient <= bracket.qf_max:
            return bracket
    return tariff.brackets[-1]


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def quantity_for(tariff: Tariff, arrival: time | None, departure: time | None) -> int:
    """Units charged: 1 per session; for half_hour / hour, the number of started units (at least 1)."""
    if tariff.unit == "session":
        return 1
    if arrival is None or departure is None:
        raise ValueError("Les heures d'arrivée et de départ sont obligatoires pour cette activité.")
    duration = _seconds(departure) - _seconds(arrival)
    if duration < 0:
        raise ValueError("L'heure de départ doit être postérieure à l'heure d'arrivée.")
    unit = _UNIT_SECONDS[tariff.unit]
    return max(1, -(-duration // unit))


def price(
    versions: Sequence[Tariff],
    day: date,
    family_quotient: int | None,
    child_rank: int,
    arrival: time | None = None,
    departure: time | None = None,
) -> Price | None:
    """What one booking costs; None when no tariff applies that day."""
    if child_rank < 1:
        raise ValueError("Le rang de l'enfant commence à 1 (l'aîné).")
    tariff = current_tariff(versions, day)
    if tariff is None:
        return None
    bracket = bracket_for(tariff, family_quotient)
    unit_price = bracket.price_cents
    if (
        tariff.reduced_from_rank is not None
        and child_rank >= tariff.reduced_from_rank
        and bracket.reduced_price_cents is not None
    ):
        unit_price = bracket.reduced_price_cents
    quantity = quantity_for(tariff, arrival, departure)
    return Price(unit_price_cents=unit_price, quantity=quantity, total_cents=unit_price * quantity)


def child_ranks(children: Sequence[tuple[uuid.UUID, date]]) -> dict[uuid.UUID, int]:
    """Rank of each child by birth date, the eldest being 1 (same birth date: ordered by id)."""
    ids = [child_id for child_id, _ in children]
    if len(set(ids)) != len(ids):
        raise ValueError("Un même enfant apparaît plusieurs fois.")
    ordered = sorted(children, key=lambda child: (child[1], child[0]))
    return {child_id: rank for rank, (child_id, _) in enumerate(ordered, start=1)}
