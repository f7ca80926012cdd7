"""The rosters' flags and the day summary: the rules (diet labels, the kitchen's special meals, the counts)
on fixed data, and the service on the in-memory store (only a structure's children, health reads audited,
the summary not audited, other structures and families refused)."""

from __future__ import annotations

import uuid

import pytest

from kit.identity import Identity
from services.dossier.domain import roster as rules
from services.dossier.domain.sheets import SheetKind
from services.dossier.domain.states import SheetState
from services.dossier.service import roster
from services.dossier.service.errors import Forbidden
from services.dossier.store import Contact, Sheet
from tests.unit.dossier.fake_store import FakeStore

HERE, THERE = uuid.uuid4(), uuid.uuid4()


# -- rules -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "labels"), [
    (None, []), ("", []), ("  ", []), ("Aucune", []), ("néant.", []), ("RAS", []),
    ("Sans porc", [rules.NO_PORK]), ("pas de PORC ni de jambon", [rules.NO_PORK]), ("Repas halal", [rules.NO_PORK]),
    ("Végétarien", [rules.VEGETARIAN]), ("vegetarienne, sans porc", [rules.VEGETARIAN, rules.NO_PORK]),
    ("Végétalien", [rules.VEGETARIAN]), ("sans viande", [rules.VEGETARIAN]),
    ("Intolérance au gluten (maladie cœliaque)", ["Sans gluten"]), ("Sans lactose", ["Sans lactose"]),
    ("Ne mange pas de poisson", [rules.OTHER_DIET]),
])
def test_diet_labels_read_the_health_sheets_requirements(text, labels):
    assert rules.diet_labels(text) == labels


def test_a_vegetarian_meal_is_not_counted_again_without_pork():
    assert rules.meal_of([rules.VEGETARIAN, rules.NO_PORK]) == rules.VEGETARIAN
    assert rules.meal_of([rules.NO_PORK, "Sans gluten"]) == rules.NO_PORK
    assert rules.meal_of(["Sans gluten"]) is None and rules.meal_of([]) is None


def test_flags_come_from_the_sheets_and_name_only_the_contacts_that_still_exist():
    child, mamie, gone, voisin = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    sheets = {
        SheetKind.SANITAIRE: {"pai": True, "dietary_requirements": "sans porc", "allergies": "arachides",
                              "doctor_name": "Dr Lune"},
        SheetKind.AUTORISATIONS: {"image_rights": False},
        SheetKind.CONTACTS: {"links": [
            {"contact_id": str(mamie), "relationship": "Grand-mère", "may_pick_up": True, "call_in_emergency": True},
            {"contact_id": str(gone), "relationship": "Oncle", "may_pick_up": True},
            {"contact_id": str(voisin), "relationship": "Voisin", "call_in_emergency": True}]},
    }
    flags = rules.flags_of(child, sheets, {mamie: ("Mamie MARTIN", "05 56 00 00 00"), voisin: ("Paul PETIT", "")})
    assert (flags.pai, flags.diets, flags.image_rights) == (True, [rules.NO_PORK], False)
    assert flags.pick_up == [rules.Person("Mamie MARTIN", "Grand-mère", "05 56 00 00 00")]
    assert [p.name for p in flags.emergency] == ["Mamie MARTIN", "Paul PETIT"]
    assert "arachides" not in repr(flags) and "Lune" not in repr(flags)  # never the health sheet itself
    unknown = rules.flags_of(child, {}, {})
    assert (unknown.pai, unknown.diets, unknown.image_rights, unknown.pick_up) == (None, [], None, [])


def test_the_day_summary_counts_meals_special_meals_and_pai():
    a, b, c, d = (uuid.uuid4() for _ in range(4))
    flags = {a: rules.RosterFlags(a, pai=True, diets=[rules.NO_PORK]),
             b: rules.RosterFlags(b, pai=False, diets=[rules.VEGETARIAN, rules.NO_PORK]),
             c: rules.RosterFlags(c, pai=None, diets=[])}
    count = rules.summarise([rules.GroupIn("cantine", True, [a, b, c, d]), rules.GroupIn("aps", False, [a, b]),
                             rules.GroupIn("repas alsh", True, [b])], flags)
    assert (count.meals, count.no_pork, count.vegetarian, count.pai) == (5, 1, 2, 1)
    cantine, aps, alsh = count.activities
    assert (cantine.children, cantine.pai, cantine.no_pork, cantine.vegetarian) == (4, 1, 1, 1)
    assert (aps.children, aps.pai, aps.no_pork, aps.vegetarian) == (2, 1, 0, 0)  # no meal: no special meal
    assert (alsh.children, alsh.vegetarian) == (1, 1)
    assert rules.summarise([], {}).meals == 0


# -- the service, on the in-memory store ---------------------------------------------------------------------------
class RosterStore(FakeStore):
    """The fake store with the roster's queries (services/dossier/store/roster.py)."""

    async def children_by_id(self, child_ids):
        return [c for c in self.data.children if c.id in set(child_ids)]

    async def latest_shared_sheets(self, child_ids, kinds):
        shared = {SheetState.SUBMITTED, SheetState.APPROVED, SheetState.REFUSED}
        order = [c.id for c in self.data.campaigns]
        latest: dict = {}
        for s in self.data.sheets.values():
            if s.child_id in set(child_ids) and s.kind in kinds and s.state in shared:
                key = (s.child_id, s.kind)
                if key not in latest or order.index(s.campaign_id) > order.index(latest[key].campaign_id):
                    latest[key] = s
        return list(latest.values())

    async def contacts_by_id(self, contact_ids):
        return [c for c in self.data.contacts.values() if c.id in set(contact_ids)]


def _sheet(store: RosterStore, child, kind: SheetKind, data: dict, state=SheetState.APPROVED) -> Sheet:
    campaign = store.data.campaigns[-1]
    sheet = Sheet(uuid.uuid4(), campaign.id, campaign.school_year, child.family_id, kind, child.id, None,
                  f"child:{child.id}", state, data)
    store.data.sheets[sheet.id] = sheet
    return sheet


@pytest.fixture
def world():
    from tests.unit.dossier.conftest import store_campaign

    store = RosterStore()
    store.data.campaigns.append(store_campaign("2026-2027"))
    family, other_family = uuid.uuid4(), uuid.uuid4()
    leo = store.add_child(family, "Léo", HERE)
    zoe = store.add_child(other_family, "Zoé", THERE)
    mamie = Contact(uuid.uuid4(), family, "MARTIN", "Mamie", "", "05 56 00 00 00", "")
    stranger = Contact(uuid.uuid4(), other_family, "DUPONT", "Jean", "", "06 00 00 00 00", "")
    store.data.contacts = {mamie.id: mamie, stranger.id: stranger}
    health = _sheet(store, leo, SheetKind.SANITAIRE, {"pai": True, "dietary_requirements": "Végétarien"})
    rights = _sheet(store, leo, SheetKind.AUTORISATIONS, {"image_rights": False})
    _sheet(store, leo, SheetKind.CONTACTS, {"links": [
        {"contact_id": str(mamie.id), "relationship": "Grand-mère", "may_pick_up": True},
        {"contact_id": str(stranger.id), "relationship": "?", "may_pick_up": True}]}, SheetState.SUBMITTED)
    _sheet(store, zoe, SheetKind.SANITAIRE, {"pai": True, "dietary_requirements": "sans porc"})
    return store, leo, zoe, {health.id, rights.id}


STAFF = Identity(subject="agent.ici", role="staff", structures=(HERE,))


async def test_a_roster_shows_a_structures_children_flags_and_audits_the_health_reads(world):
    store, leo, zoe, health_sheets = world
    found = await roster.roster_flags(store, STAFF, roster.RosterIn(structure_id=HERE, child_ids=[leo.id, zoe.id]))
    assert [f.child_id for f in found] == [leo.id]  # another structure's child is left out, as unknown
    flags = found[0]
    assert (flags.pai, flags.diets, flags.image_rights) == (True, [rules.VEGETARIAN], False)
    assert [p.name for p in flags.pick_up] == ["Mamie MARTIN"]  # another family's contact is never named
    reads = [(child, read.reader, read.sheet_id) for child, read in store.data.health_reads]
    assert sorted(reads, key=str) == sorted([(leo.id, "agent.ici", s) for s in health_sheets], key=str)


async def test_a_draft_is_still_the_familys_and_shows_nothing(world):
    store, leo, _, _ = world
    for sheet in store.data.sheets.values():
        sheet.state = SheetState.DRAFT
    found = await roster.roster_flags(store, STAFF, roster.RosterIn(structure_id=HERE, child_ids=[leo.id]))
    assert (found[0].pai, found[0].diets, found[0].pick_up) == (None, [], [])
    assert store.data.health_reads == []


async def test_other_structures_staff_and_families_are_refused(world):
    store, leo, _, _ = world
    for who in (Identity(subject="agent.la", role="staff", structures=(THERE,)),
                Identity(subject="p", role="parent", family_id=leo.family_id)):
        with pytest.raises(Forbidden):
            await roster.roster_flags(store, who, roster.RosterIn(structure_id=HERE, child_ids=[leo.id]))
        with pytest.raises(Forbidden):
            await roster.day_summary(store, who, roster.SummaryIn(structure_id=HERE, groups=[]))
    assert store.data.health_reads == []


async def test_the_day_summary_answers_counts_and_reads_no_ones_sheet_into_the_audit(world):
    store, leo, zoe, _ = world
    unknown = uuid.uuid4()
    count = await roster.day_summary(store, STAFF, roster.SummaryIn(structure_id=HERE, groups=[
        roster.GroupIn(key="cantine", serves_meal=True, child_ids=[leo.id, zoe.id, unknown]),
        roster.GroupIn(key="aps", serves_meal=False, child_ids=[leo.id])]))
    # Zoé's « sans porc » and PAI are another structure's: not counted; her meal still is
    assert (count.meals, count.no_pork, count.vegetarian, count.pai) == (3, 0, 1, 1)
    assert [a.pai for a in count.activities] == [1, 1]
    assert store.data.health_reads == []
