"""The staff's follow-up of a campaign (issue 16), rules and service layer on the in-memory store: progress per
sheet kind, the reminder (once per family and day, never for another structure), and the versioned
règlement intérieur (PDF only, a new version sends signed sheets back to « À remplir » and is published)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from contracts.dossier import DossierHouseRulesPublishedV1, DossierHouseRulesSignedV1, DossierReminderV1
from services.dossier.domain import house_rules as rules
from services.dossier.domain import progress
from services.dossier.domain.documents import MAX_FILE_BYTES, UploadRefused
from services.dossier.domain.sheets import SheetKind
from services.dossier.domain.states import SheetState
from services.dossier.service import campaign, sheets
from services.dossier.service.errors import FileRefused, Forbidden, NotFound, SchoolYearRefused
from tests.unit.dossier.fake_store import vault
from tests.unit.dossier.test_service_sheets import RULES, sheet_of

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# 22:30 UTC on a 31 March is 00:30 on the 1st of April in Paris: the reminder's day is the Paris one
LATE_EVENING = datetime(2027, 3, 31, 22, 30, tzinfo=UTC)


# -- the rules ------------------------------------------------------------------------------------------------
def test_a_house_rules_file_is_a_pdf_within_the_documents_limit():
    rules.check_house_rules_file(PDF)
    with pytest.raises(UploadRefused, match="doit être un fichier PDF"):
        rules.check_house_rules_file(PNG)
    with pytest.raises(UploadRefused, match="Type de fichier non accepté"):
        rules.check_house_rules_file(b"MZ\x90\x00 not a pdf")
    with pytest.raises(UploadRefused, match="dépasse 2000 Ko"):
        rules.check_house_rules_file(PDF + b"0" * MAX_FILE_BYTES)
    with pytest.raises(UploadRefused, match="vide"):
        rules.check_house_rules_file(b"")


def test_versions_count_from_one_and_only_an_older_signature_must_be_renewed():
    assert rules.next_version(None) == 1 and rules.next_version(3) == 4
    assert rules.must_sign_again(SheetState.SUBMITTED, 1, 2)
    assert rules.must_sign_again(SheetState.APPROVED, None, 1)  # signed before any version was published
    assert not rules.must_sign_again(SheetState.APPROVED, 2, 2)
    assert not rules.must_sign_again(SheetState.DRAFT, 1, 2)  # not signed yet: it will sign the current one
    assert rules.unsigned_data({**RULES}) == {"signer_name": "Marie Martin", "place": "Paris"}


def test_a_family_counts_at_the_sheet_that_needs_it_most_and_a_family_without_sheets_has_not_started():
    f1, f2, f3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    found = {k.kind: k for k in progress.kind_progress({
        f1: [("famille", "validee"), ("sanitaire", "validee"), ("sanitaire", "refusee")],
        f2: [("famille", "brouillon"), ("sanitaire", "transmise")],
        f3: []})}
    assert found[SheetKind.FAMILLE].families[SheetState.APPROVED] == 1
    assert found[SheetKind.FAMILLE].families[SheetState.DRAFT] == 1
    assert found[SheetKind.FAMILLE].families[SheetState.TO_FILL] == 1 and found[SheetKind.FAMILLE].total == 3
    assert found[SheetKind.SANITAIRE].families[SheetState.REFUSED] == 1  # one child refused, one validated
    assert found[SheetKind.AUTRE_RESPONSABLE].total == 0  # only families with a second responsable have one
    assert progress.not_started([]) and progress.not_started([("famille", "a_remplir")])
    assert not progress.not_started([("famille", "a_remplir"), ("sanitaire", "brouillon")])


def test_a_family_is_reminded_at_most_once_a_day():
    today = date(2027, 4, 1)
    assert progress.reminder_due(None, today)
    assert not progress.reminder_due(today, today)
    assert progress.reminder_due(today - timedelta(days=1), today)


# -- the service ----------------------------------------------------------------------------------------------
async def test_progress_and_reminders_of_a_structure(world):
    HERE = world.child.structure_id
    world.store.add_structure(HERE, "Mairie de CarteVille")
    world.store.add_family(other := uuid.uuid4(), "F-2")
    world.store.add_child(other, "Zoé", HERE)
    await sheets.save_draft(world.store, world.parent, (await sheet_of(world, SheetKind.FAMILLE)).id, {"city": "X"})
    found = await campaign.progress(world.store, world.staff, HERE)
    assert [f.identifiant for f in found.not_started] == ["F-2"]  # never visited: no sheet yet
    famille = next(k for k in found.kinds if k.kind is SheetKind.FAMILLE)
    assert (famille.families[SheetState.DRAFT], famille.families[SheetState.TO_FILL]) == (1, 1)

    done = await campaign.remind(world.store, world.outbox, world.staff, HERE, now=LATE_EVENING)
    assert (done.reminded, done.already) == (1, 0)
    [mail] = world.outbox.of(DossierReminderV1)
    assert (mail.family_id, mail.structure_name, mail.school_year) == (other, "Mairie de CarteVille", "2026-2027")
    again = await campaign.remind(world.store, world.outbox, world.admin, HERE, now=LATE_EVENING + timedelta(hours=3))
    assert (again.reminded, again.already) == (0, 1) and len(world.outbox.of(DossierReminderV1)) == 1
    listed = await campaign.progress(world.store, world.staff, HERE)
    assert listed.not_started[0].last_reminded_on == date(2027, 4, 1)  # Paris' day, not UTC's
    tomorrow = await campaign.remind(world.store, world.outbox, world.staff, HERE, now=LATE_EVENING + timedelta(days=1))
    assert tomorrow.reminded == 1 and len(world.outbox.of(DossierReminderV1)) == 2


async def test_staff_of_another_structure_neither_see_nor_remind_nor_publish(world):
    HERE = world.child.structure_id
    world.store.add_structure(HERE, "Mairie de CarteVille")
    for call in (campaign.progress(world.store, world.staff_elsewhere, HERE),
                 campaign.remind(world.store, world.outbox, world.staff_elsewhere, HERE),
                 campaign.house_rules_of(world.store, world.staff_elsewhere, HERE),
                 campaign.publish_house_rules(world.store, vault(), world.outbox, world.staff_elsewhere, HERE,
                                              "2026-2027", PDF, "r.pdf"),
                 campaign.progress(world.store, world.parent, HERE)):
        with pytest.raises(Forbidden):
            await call
    assert world.outbox.events == []


async def test_a_new_version_sends_signed_sheets_back_to_sign_and_the_signature_records_its_version(world):
    HERE = world.child.structure_id
    world.store.add_structure(HERE, "Mairie de CarteVille")
    files = vault()
    first = await campaign.publish_house_rules(world.store, files, world.outbox, world.staff, HERE, "2026-2027",
                                               PDF, "règlement 2026.pdf")
    assert (first.rules.version, first.to_sign_again) == (1, 0)
    reglement = await sheet_of(world, SheetKind.REGLEMENT)
    detail = await sheets.sheet(world.store, world.parent, reglement.id)
    assert detail.house_rules.id == first.rules.id  # the version the family reads before ticking
    await sheets.submit(world.store, world.outbox, world.parent, reglement.id, RULES)
    [signed] = world.outbox.of(DossierHouseRulesSignedV1)
    assert signed.version == 1

    second = await campaign.publish_house_rules(world.store, files, world.outbox, world.staff, HERE, "2026-2027",
                                                PDF, "règlement modifié.pdf")
    assert (second.rules.version, second.to_sign_again) == (2, 1)
    assert [(e.version, e.structure_id) for e in world.outbox.of(DossierHouseRulesPublishedV1)] == [(1, HERE), (2, HERE)]
    again = await sheets.sheet(world.store, world.parent, reglement.id)
    assert again.view.sheet.state is SheetState.TO_FILL and again.editable
    assert "acknowledged" not in again.view.sheet.data and again.view.sheet.data["signer_name"] == "Marie Martin"
    await sheets.submit(world.store, world.outbox, world.parent, reglement.id, RULES)
    assert [e.version for e in world.outbox.of(DossierHouseRulesSignedV1)] == [1, 2]
    assert [r.version for r in await campaign.house_rules_of(world.store, world.admin, HERE)] == [2, 1]


async def test_a_house_rules_upload_is_checked_like_a_document(world):
    HERE = world.child.structure_id
    world.store.add_structure(HERE, "Mairie de CarteVille")
    with pytest.raises(FileRefused, match="doit être un fichier PDF"):
        await campaign.publish_house_rules(world.store, vault(), world.outbox, world.staff, HERE, "2026-2027", PNG,
                                           "scan.png")
    with pytest.raises(SchoolYearRefused):
        await campaign.publish_house_rules(world.store, vault(), world.outbox, world.staff, HERE, "2026", PDF, "r.pdf")
    assert world.outbox.events == []


async def test_the_house_rules_file_is_read_by_its_families_and_staff_only(world):
    HERE = world.child.structure_id
    world.store.add_structure(HERE, "Mairie de CarteVille")
    files = vault()
    published = await campaign.publish_house_rules(world.store, files, world.outbox, world.staff, HERE, "2026-2027",
                                                   PDF, "r.pdf")
    await sheet_of(world, SheetKind.REGLEMENT)  # the family's règlement sheet for HERE exists
    for who in (world.parent, world.staff, world.admin):
        found, content = await campaign.house_rules_file(world.store, files, who, published.rules.id)
        assert content == PDF and found.version == 1
    for who in (world.other_parent, world.staff_elsewhere):
        with pytest.raises(NotFound):
            await campaign.house_rules_file(world.store, files, who, published.rules.id)
    with pytest.raises(NotFound):
        await campaign.house_rules_file(world.store, files, world.parent, uuid.uuid4())
