"""What the team needs to know of a child on a roster (liste de présence), and nothing more: the PAI (yes or
no), the diet labels read from the health sheet's « Exigences alimentaires », the image rights, and who may
pick the child up or be called in an emergency (the contacts sheet). The day summary counts the meals of a
day and how many are « sans porc », vegetarian or for a child with a PAI.

Pure rules: the sheets' data as saved, the family's contacts and the day's bookings are handed in."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

from .sheets import AuthorisationsSheet, ContactsSheet, HealthSheet, SheetKind, read_saved

__all__ = [
    "NO_PORK",
    "OTHER_DIET",
    "ROSTER_KINDS",
    "VEGETARIAN",
    "ActivityCount",
    "DayCount",
    "GroupIn",
    "Person",
    "RosterFlags",
    "diet_labels",
    "flags_of",
    "meal_of",
    "summarise",
]

NO_PORK = "Sans porc"
VEGETARIAN = "Végétarien"
NO_GLUTEN = "Sans gluten"
NO_LACTOSE = "Sans lactose"
OTHER_DIET = "Autre exigence (voir la fiche sanitaire)"

# The sheets a roster reads: two hold health data (their reads are audited), the contacts sheet does not.
ROSTER_KINDS = (SheetKind.SANITAIRE, SheetKind.AUTORISATIONS, SheetKind.CONTACTS)

# Words of « Exigences alimentaires » (folded: lower case, no accents) and the label each one means, in the
# order the labels are shown. A vegetarian or vegan diet, and « sans viande », are a vegetarian meal; any
# mention of pork (porc, cochon, jambon) or a halal or kosher diet is a meal without pork.
_DIETS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (VEGETARIAN, re.compile(r"vegetarien|vegetalien|vegan|sans viande|pas de viande")),
    (NO_PORK, re.compile(r"porc|cochon|jambon|halal|casher|kasher|cacher")),
    (NO_GLUTEN, re.compile(r"gluten|coeliaque|celiaque")),
    (NO_LACTOSE, re.compile(r"lactose|sans lait|pas de lait")),
)
_NOTHING = re.compile(r"^(rien|aucune?s?|neant|non|pas d'exigences?|sans objet|ras|-+|\.+)$")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("œ", "oe"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def diet_labels(requirements: str | None) -> list[str]:
    """The diet labels of a child's « Exigences alimentaires »: the known ones (« Sans porc »,
    « Végétarien », « Sans gluten », « Sans lactose »), or « Autre exigence » when something is written
    that none of them covers (the team then reads the sheet); nothing for a blank or « aucune »."""
    folded = _fold(requirements or "").strip(" .;,")
    if not folded or _NOTHING.match(folded):
        return []
    found = [label for label, pattern in _DIETS if pattern.search(folded)]
    return found or [OTHER_DIET]


def meal_of(diets: Iterable[str]) -> str | None:
    """Which special meal the kitchen makes for a child: vegetarian first (a vegetarian meal has no pork,
    so it is not counted again « sans porc »), else without pork, else none (the ordinary meal)."""
    labels = set(diets)
    if VEGETARIAN in labels:
        return VEGETARIAN
    if NO_PORK in labels:
        return NO_PORK
    return None


@dataclass(frozen=True)
class Person:
    """A contact of the family as the roster shows it: name, link with the child, phone."""

    name: str
    relationship: str
    phone: str


@dataclass(frozen=True)
class RosterFlags:
    """A child's flags; None where the family has not transmitted the sheet (or not answered)."""

    child_id: uuid.UUID
    pai: bool | None = None
    diets: list[str] = field(default_factory=list)
    image_rights: bool | None = None
    pick_up: list[Person] = field(default_factory=list)
    emergency: list[Person] = field(default_factory=list)


def flags_of(child_id: uuid.UUID, sheets: Mapping[SheetKind, dict],
             contacts: Mapping[uuid.UUID, tuple[str, str]]) -> RosterFlags:
    """A child's flags from the data of its latest transmitted sheets (by kind; a missing kind is not
    known yet) and the family's contacts (id → (name, phone))."""
    health = cast(HealthSheet, read_saved(SheetKind.SANITAIRE, sheets.get(SheetKind.SANITAIRE) or {}))
    rights = cast(AuthorisationsSheet, read_saved(SheetKind.AUTORISATIONS, sheets.get(SheetKind.AUTORISATIONS) or {}))
    links = cast(ContactsSheet, read_saved(SheetKind.CONTACTS, sheets.get(SheetKind.CONTACTS) or {}))
    pick_up, emergency = [], []
    for link in links.links:
        if link.contact_id not in contacts:  # a contact deleted since: nobody to call
            continue
        name, phone = contacts[link.contact_id]
        person = Person(name, link.relationship or "", phone)
        if link.may_pick_up:
            pick_up.append(person)
        if link.call_in_emergency:
            emergency.append(person)
    return RosterFlags(child_id, health.pai, diet_labels(health.dietary_requirements), rights.image_rights,
                       pick_up, emergency)


# -- the day summary ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupIn:
    """An activity of the day as booking tells it: whether it serves a meal, the children expected."""

    key: str
    serves_meal: bool
    child_ids: Sequence[uuid.UUID]


@dataclass(frozen=True)
class ActivityCount:
    key: str
    children: int
    pai: int
    no_pork: int
    vegetarian: int


@dataclass(frozen=True)
class DayCount:
    """« 212 repas dont 14 sans porc, 9 végétariens, 3 PAI », and the same per activity."""

    meals: int
    no_pork: int
    vegetarian: int
    pai: int
    activities: list[ActivityCount]


def summarise(groups: Sequence[GroupIn], flags: Mapping[uuid.UUID, RosterFlags]) -> DayCount:
    """Every expected child of an activity that serves a meal is a meal; its special meal is `meal_of` its
    diets; a child with a PAI counts in the activity's PAI (and in the meals' PAI when the activity serves
    one). A child whose flags are unknown has an ordinary meal and no PAI counted."""
    counts = []
    for group in groups:
        known = [flags[c] for c in group.child_ids if c in flags]
        meals = [meal_of(f.diets) for f in known] if group.serves_meal else []
        counts.append(ActivityCount(group.key, len(group.child_ids), sum(f.pai is True for f in known),
                                    meals.count(NO_PORK), meals.count(VEGETARIAN)))
    served = [(g, c) for g, c in zip(groups, counts, strict=True) if g.serves_meal]
    return DayCount(meals=sum(c.children for _, c in served), no_pork=sum(c.no_pork for _, c in served),
                    vegetarian=sum(c.vegetarian for _, c in served), pai=sum(c.pai for _, c in served),
                    activities=counts)
