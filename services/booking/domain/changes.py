"""What a change of an activity does to the bookings it already has, said before staff confirm it: the
preview and the apply step run these same functions (services/booking/service/activities.py).

- Places over a range of days (or one day): a day whose accepted bookings already exceed the new number
  keeps them all and accepts no new one (nobody is ever removed); a day given more places promotes its
  waiting list at once (domain/places.py), the first requested first.
- The activity's settings (hours, places of the days opened later, deadlines, waiting list, approval,
  enrolment, house rules, incompatibilities): what each change means for the days already open and the
  bookings already made, in French sentences staff read before confirming.

Pure: no clock, no database; the caller gives the days' figures and the upcoming days' totals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from services.booking.domain.deadlines import DeadlineRule
from services.booking.domain.places import promotions

__all__ = ["ActivitySettings", "CapacityPlan", "DayChange", "DayLoad", "Upcoming", "capacity_plan",
           "settings_effects"]


@dataclass(frozen=True)
class DayLoad:
    """A day of the activity as it stands: its places and its bookings."""

    session_id: uuid.UUID
    day: date
    capacity: int | None  # None: unlimited
    accepted: int
    waitlisted: int


@dataclass(frozen=True)
class DayChange:
    load: DayLoad
    capacity: int | None  # the new number of places

    @property
    def changed(self) -> bool:
        return self.capacity != self.load.capacity

    @property
    def over(self) -> bool:
        """More bookings already accepted than the new number of places: kept, and no new one accepted."""
        return self.capacity is not None and self.load.accepted > self.capacity

    @property
    def full(self) -> bool:
        """Exactly as many accepted bookings as places: no new one accepted."""
        return self.capacity is not None and self.load.accepted == self.capacity

    @property
    def promoted(self) -> int:
        """Waiting requests that get a place at once."""
        return promotions(self.capacity, self.load.accepted, self.load.waitlisted) if self.changed else 0


def _days(n: int) -> str:
    return f"{n} jour{'s' if n > 1 else ''}"


@dataclass(frozen=True)
class CapacityPlan:
    changes: tuple[DayChange, ...]

    @property
    def changed(self) -> tuple[DayChange, ...]:
        return tuple(c for c in self.changes if c.changed)

    @property
    def over(self) -> tuple[DayChange, ...]:
        return tuple(c for c in self.changed if c.over)

    @property
    def promoted(self) -> int:
        return sum(c.promoted for c in self.changed)

    def sentences(self) -> list[str]:
        """The preview, in French."""
        if not self.changes:
            return ["Aucun jour ouvert sur cette période : rien ne change."]
        changed = self.changed
        if not changed:
            return [f"Les {_days(len(self.changes))} de la période ont déjà ce nombre de places : rien ne change."]
        said = [f"{_days(len(changed))} change{'nt' if len(changed) > 1 else ''} de nombre de places."]
        over = self.over
        if over:
            n = len(over)
            said.append(f"{_days(n)} {'ont' if n > 1 else 'a'} déjà plus de réservations acceptées que la nouvelle "
                        f"capacité : elles sont conservées, plus aucune nouvelle réservation ne sera acceptée "
                        f"{'ces jours-là' if n > 1 else 'ce jour-là'}.")
        full = [c for c in changed if c.full]
        if full:
            n = len(full)
            said.append(f"{_days(n)} {'sont' if n > 1 else 'est'} complet{'s' if n > 1 else ''} avec la nouvelle "
                        f"capacité : les réservations acceptées sont conservées, les suivantes iront en liste "
                        f"d'attente (ou seront refusées sans liste d'attente).")
        if self.promoted:
            n = self.promoted
            said.append(f"{n} demande{'s' if n > 1 else ''} en liste d'attente obtien{'nent' if n > 1 else 't'} "
                        f"une place aussitôt.")
        return said


def capacity_plan(days: Sequence[DayLoad], capacity: int | None,
                  weekdays: frozenset[int] = frozenset(range(7))) -> CapacityPlan:
    """The new number of places (None: unlimited) on the given days that fall on `weekdays` (0 = Monday)."""
    if capacity is not None and capacity < 0:
        raise ValueError("Le nombre de places ne peut pas être négatif.")
    return CapacityPlan(tuple(DayChange(d, capacity) for d in sorted(days, key=lambda d: d.day)
                              if d.day.weekday() in weekdays))


@dataclass(frozen=True)
class ActivitySettings:
    """What staff may change on an existing activity."""

    name: str
    start_time: time
    end_time: time
    default_capacity: int | None
    waitlist_allowed: bool
    needs_approval: bool
    requires_house_rules: bool
    enrolment_required: bool
    booking_deadline: DeadlineRule
    cancel_deadline: DeadlineRule
    incompatible_with: frozenset[uuid.UUID]


@dataclass(frozen=True)
class Upcoming:
    """The activity's days from today on: how many, how many with bookings, and the requests waiting."""

    days: int
    booked_days: int
    waitlisted: int
    pending: int


def _hhmm(t: time) -> str:
    return t.strftime("%H:%M")


def settings_effects(before: ActivitySettings, after: ActivitySettings, upcoming: Upcoming) -> list[str]:
    """What the change does, in French (empty: nothing changes)."""
    said = []
    if after.name != before.name:
        said.append(f"L'activité s'appellera « {after.name} » pour les familles et dans les listes.")
    if (after.start_time, after.end_time) != (before.start_time, before.end_time):
        hours = f"{_hhmm(after.start_time)} – {_hhmm(after.end_time)}"
        said.append(f"Les {_days(upcoming.days)} ouverts à venir passent à {hours} ; "
                    f"les réservations de {_days(upcoming.booked_days)} déjà réservés sont conservées."
                    if upcoming.days else f"Les jours ouverts ensuite auront les horaires {hours}.")
    if after.default_capacity != before.default_capacity:
        said.append("Le nouveau nombre de places vaut pour les jours ouverts ensuite ; les jours déjà ouverts "
                    "gardent le leur (changez-le avec « Places sur une période »).")
    if before.waitlist_allowed and not after.waitlist_allowed:
        said.append(f"Plus de liste d'attente : une demande sur un jour complet sera refusée ; "
                    f"{upcoming.waitlisted} demande(s) déjà en liste d'attente y restent.")
    if after.waitlist_allowed and not before.waitlist_allowed:
        said.append("Une demande sur un jour complet ira désormais en liste d'attente.")
    if after.needs_approval and not before.needs_approval:
        said.append("Les nouvelles réservations attendront votre décision ; celles déjà acceptées le restent.")
    if before.needs_approval and not after.needs_approval:
        said.append(f"Les nouvelles réservations seront acceptées sans décision ; {upcoming.pending} demande(s) "
                    f"en attente de décision restent à traiter.")
    if after.enrolment_required and not before.enrolment_required:
        said.append("Seuls les enfants inscrits pourront réserver ; les réservations déjà faites sont conservées.")
    if before.enrolment_required and not after.enrolment_required:
        said.append("Tous les enfants de la structure pourront réserver, inscrits ou non.")
    if after.requires_house_rules != before.requires_house_rules:
        said.append("La signature du règlement intérieur sera exigée pour réserver ; les réservations déjà faites "
                    "sont conservées." if after.requires_house_rules else
                    "La signature du règlement intérieur ne sera plus exigée pour réserver.")
    if (after.booking_deadline, after.cancel_deadline) != (before.booking_deadline, before.cancel_deadline):
        said.append("Les nouveaux délais valent pour les prochaines réservations et annulations.")
    if after.incompatible_with != before.incompatible_with:
        said.append("Les incompatibilités valent pour les prochaines réservations ; les réservations déjà faites "
                    "sont conservées.")
    return said
