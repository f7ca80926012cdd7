"""The family's sheets through the service layer, on the in-memory store: the dossier opened, a draft
saved, a transmission refused while incomplete (what was typed is kept) and accepted once complete."""

from __future__ import annotations

import uuid

import pytest

from contracts.dossier import DossierHouseRulesSignedV1, DossierSheetSubmittedV1
from services.dossier.domain.sheets import SheetKind
from services.dossier.domain.states import SheetState
from services.dossier.service import sheets
from services.dossier.service.errors import Forbidden, Incomplete, Invalid, NotFound, Refused

FAMILY_DATA = {"birth_date": "1985-04-02", "address": "1 rue de la Paix", "postal_code": "75001", "city": "Paris",
               "phone_mobile": "06 12 34 56 78", "email": "marie@example.fr", "allocataire_regime": "autre"}
RULES = {"acknowledged": True, "signer_name": "Marie Martin", "place": "Paris", "signed_on": "2020-08-28",
         "signed_at": "19:04"}


async def sheet_of(world, kind: SheetKind, child=True):
    view = await sheets.dossier(world.store, world.parent)
    return next(v.sheet for v in view.sheets if v.sheet.kind is kind)


async def test_the_dossier_lists_every_sheet_of_the_family_to_fill(world):
    view = await sheets.dossier(world.store, world.parent)
    kinds = [v.sheet.kind for v in view.sheets]
    assert kinds[0] is SheetKind.FAMILLE and len(kinds) == 6
    assert {v.sheet.state for v in view.sheets} == {SheetState.TO_FILL}
    assert (view.progress.transmitted, view.progress.total, view.progress.complete) == (0, 6, False)
    health = next(v for v in view.sheets if v.sheet.kind is SheetKind.SANITAIRE)
    assert health.label == "Fiche sanitaire — Léo"
    assert "Nom du médecin traitant" in health.missing
    again = await sheets.dossier(world.store, world.parent)  # created once
    assert [v.sheet.id for v in again.sheets] == [v.sheet.id for v in view.sheets]


async def test_an_other_guardian_has_a_sheet(world):
    world.store.add_family(world.family_id, other_guardians=[uuid.uuid4()])
    view = await sheets.dossier(world.store, world.parent)
    assert sum(v.sheet.kind is SheetKind.AUTRE_RESPONSABLE for v in view.sheets) == 1


async def test_only_a_family_has_a_dossier(world):
    with pytest.raises(Forbidden):
        await sheets.dossier(world.store, world.staff)


async def test_a_draft_is_saved_and_read_back(world):
    famille = await sheet_of(world, SheetKind.FAMILLE)
    state = await sheets.save_draft(world.store, world.parent, famille.id, {"city": "Paris"})
    assert state is SheetState.DRAFT
    detail = await sheets.sheet(world.store, world.parent, famille.id)
    assert detail.view.sheet.data["city"] == "Paris" and detail.editable
    assert "Date de naissance" in detail.view.missing


async def test_a_bad_value_is_refused_in_french(world):
    famille = await sheet_of(world, SheetKind.FAMILLE)
    with pytest.raises(Invalid) as refused:
        await sheets.save_draft(world.store, world.parent, famille.id, {"postal_code": "7500"})
    assert "postal_code" in refused.value.detail


async def test_someone_elses_sheet_is_not_found(world):
    famille = await sheet_of(world, SheetKind.FAMILLE)
    with pytest.raises(NotFound):
        await sheets.sheet(world.store, world.other_parent, famille.id)
    with pytest.raises(NotFound):
        await sheets.save_draft(world.store, world.other_parent, famille.id, {})


async def test_an_incomplete_sheet_is_not_transmitted_but_what_was_typed_is_kept(world):
    famille = await sheet_of(world, SheetKind.FAMILLE)
    with pytest.raises(Incomplete) as refused:
        await sheets.submit(world.store, world.outbox, world.parent, famille.id, {"city": "Lyon"})
    assert "Date de naissance" in refused.value.missing
    assert refused.value.missing[-1].startswith("Pièce à joindre")  # the quotient's justification
    kept = await world.store.sheet(famille.id)
    assert kept.data["city"] == "Lyon" and kept.state is SheetState.TO_FILL
    assert world.outbox.events == []


async def test_a_complete_sheet_is_transmitted_published_and_locked(world):
    rules = await sheet_of(world, SheetKind.REGLEMENT)
    state = await sheets.submit(world.store, world.outbox, world.parent, rules.id, RULES)
    assert state is SheetState.SUBMITTED
    [submitted] = world.outbox.of(DossierSheetSubmittedV1)
    assert submitted.sheet_kind == "reglement" and submitted.school_year == "2026-2027"
    [signed] = world.outbox.of(DossierHouseRulesSignedV1)
    assert signed.child_id == world.child.id and signed.structure_id == world.child.structure_id
    with pytest.raises(Refused) as locked:
        await sheets.save_draft(world.store, world.parent, rules.id, RULES)
    assert "plus modifiable" in locked.value.detail
    with pytest.raises(Refused):
        await sheets.submit(world.store, world.outbox, world.parent, rules.id, RULES)
    view = await sheets.dossier(world.store, world.parent)
    assert view.progress.transmitted == 1


async def test_a_contacts_sheet_names_only_known_contacts(world):
    contacts_sheet = await sheet_of(world, SheetKind.CONTACTS)
    with pytest.raises(Invalid) as refused:
        await sheets.save_draft(world.store, world.parent, contacts_sheet.id,
                                {"links": [{"contact_id": str(uuid.uuid4()), "relationship": "Tante"}]})
    assert "Contact inconnu" in refused.value.detail


async def test_no_campaign_no_dossier(world):
    world.store.data.campaigns.clear()
    with pytest.raises(NotFound):
        await sheets.dossier(world.store, world.parent)
