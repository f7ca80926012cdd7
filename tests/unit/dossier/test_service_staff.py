"""The staff's side through the service layer, on the in-memory store: a campaign opened (prefilled,
renewed), the review queue, a health sheet read (audited) and the review with its rules."""

from __future__ import annotations

import pytest

from contracts.dossier import DossierFamilyUpdatedV1, DossierSheetReviewedV1, DossierSheetReviewedV2
from services.dossier.domain.sheets import SheetKind
from services.dossier.domain.states import SheetState
from services.dossier.service import sheets, staff
from services.dossier.service.errors import Conflict, Forbidden, NotFound, Refused, SchoolYearRefused
from tests.unit.dossier.test_service_sheets import RULES, sheet_of

INSURANCE = {"new_company": {"name": " Mutuelle du Lac ", "address": "2 quai", "phone": "01 23 45 67 89"},
             "contract_number": "C-1", "expiry_date": "2027-08-31"}
FAMILY = {"birth_date": "1985-04-02", "address": "1 rue", "postal_code": "75001", "city": "Paris",
          "phone_mobile": "0612345678", "email": "m@example.fr", "allocataire_regime": "autre", "family_quotient": 640}


async def transmitted(world, kind: SheetKind, data: dict):
    sheet = await sheet_of(world, kind)
    await world.store.write_data(sheet.id, kind, "{}")
    world.store.data.sheets[sheet.id].data = data
    await world.store.mark_submitted(sheet.id, SheetState.SUBMITTED, None)
    return sheet


async def test_a_new_campaign_renews_last_years_sheets_with_their_data(world):
    rules = await sheet_of(world, SheetKind.REGLEMENT)
    await sheets.submit(world.store, world.outbox, world.parent, rules.id, RULES)
    await staff.review(world.store, world.outbox, world.admin, rules.id, "approved", None)
    campaign_id = await staff.open_campaign(world.store, world.admin, "2027-2028")
    view = await sheets.dossier(world.store, world.parent)
    assert view.campaign.id == campaign_id and view.campaign.school_year == "2027-2028"
    renewed = next(v.sheet for v in view.sheets if v.sheet.kind is SheetKind.REGLEMENT)
    assert renewed.id != rules.id and renewed.state is SheetState.TO_FILL  # renew_for_campaign
    assert renewed.data["signer_name"] == "Marie Martin"  # prefilled


async def test_a_campaign_is_opened_once_by_an_administrator_for_a_school_year(world):
    with pytest.raises(Forbidden):
        await staff.open_campaign(world.store, world.staff, "2027-2028")
    with pytest.raises(SchoolYearRefused):
        await staff.open_campaign(world.store, world.admin, "2027-2029")
    with pytest.raises(Conflict):
        await staff.open_campaign(world.store, world.admin, "2026-2027")


async def test_staff_see_the_transmitted_sheets_of_their_structures_only(world):
    health = await transmitted(world, SheetKind.SANITAIRE, {"vaccinated": False})
    assert [r.id for r in await staff.to_review(world.store, world.staff)] == [health.id]
    assert await staff.to_review(world.store, world.staff_elsewhere) == []
    with pytest.raises(NotFound):
        await staff.staff_sheet(world.store, world.staff_elsewhere, health.id)


async def test_a_staff_read_of_a_health_sheet_is_audited(world):
    health = await transmitted(world, SheetKind.SANITAIRE, {"vaccinated": False})
    read = await staff.staff_sheet(world.store, world.staff, health.id)
    assert read.sheet.data == {"vaccinated": False}
    [entry] = await staff.audit(world.store, world.admin, world.child.id)
    assert entry.reader == "s" and entry.sheet_id == health.id
    with pytest.raises(Forbidden):
        await staff.audit(world.store, world.staff, world.child.id)


async def test_a_draft_is_the_familys_until_transmitted(world):
    draft = await sheet_of(world, SheetKind.SANITAIRE)
    with pytest.raises(NotFound):
        await staff.staff_sheet(world.store, world.admin, draft.id)


async def test_a_refusal_says_why_and_the_family_corrects_the_sheet(world):
    health = await transmitted(world, SheetKind.SANITAIRE, {"vaccinated": False})
    with pytest.raises(Refused) as no_reason:
        await staff.review(world.store, world.outbox, world.staff, health.id, "refused", "  ")
    assert "motif" in no_reason.value.detail
    state = await staff.review(world.store, world.outbox, world.staff, health.id, "refused", " Carnet illisible ")
    assert state is SheetState.REFUSED
    assert world.store.data.sheets[health.id].refusal_reason == "Carnet illisible"
    [private] = world.outbox.of(DossierSheetReviewedV1)
    assert private.reason == "Carnet illisible" and private.child_first_name == "Léo"
    assert len(world.outbox.of(DossierSheetReviewedV2)) == 1
    with pytest.raises(Refused):  # reviewed already: no longer waiting
        await staff.review(world.store, world.outbox, world.staff, health.id, "approved", None)


async def test_an_approved_insurance_adds_the_new_insurer_to_the_list(world):
    insurance = await transmitted(world, SheetKind.ASSURANCE, INSURANCE)
    await staff.review(world.store, world.outbox, world.staff, insurance.id, "approved", "ignored")
    assert [i.name for i in world.store.data.insurers] == ["Mutuelle du Lac"]
    assert world.store.data.sheets[insurance.id].refusal_reason is None
    assert world.outbox.of(DossierFamilyUpdatedV1) == []


async def test_a_refused_insurance_adds_no_insurer(world):
    insurance = await transmitted(world, SheetKind.ASSURANCE, INSURANCE)
    await staff.review(world.store, world.outbox, world.staff, insurance.id, "refused", "Contrat échu")
    assert world.store.data.insurers == []


async def test_an_approved_family_sheet_publishes_the_quotient(world):
    famille = await transmitted(world, SheetKind.FAMILLE, FAMILY)
    await staff.review(world.store, world.outbox, world.staff, famille.id, "approved", None)
    [updated] = world.outbox.of(DossierFamilyUpdatedV1)
    assert updated.family_id == world.family_id and updated.family_quotient == 640
    assert updated.allocataire_regime == "autre"


async def test_staff_of_another_structure_may_not_review(world):
    famille = await transmitted(world, SheetKind.FAMILLE, FAMILY)
    with pytest.raises(NotFound):
        await staff.review(world.store, world.outbox, world.staff_elsewhere, famille.id, "approved", None)
    with pytest.raises(Forbidden):
        await staff.review(world.store, world.outbox, world.parent, famille.id, "approved", None)
