"""Contacts and supporting documents through the service layer, on the in-memory store: a contact
keeps its names and is deleted only once no child's sheet names it; documents are checked, sealed,
downloaded (a staff read of a health document audited) and removed while the sheet may change."""

from __future__ import annotations

import pytest

from services.dossier.domain.documents import DocumentKind
from services.dossier.domain.sheets import SheetKind
from services.dossier.domain.states import SheetState
from services.dossier.service import contacts, documents, sheets
from services.dossier.service.errors import (
    BadRequest,
    DeletionRefused,
    EditRefused,
    FileRefused,
    NotFound,
    Refused,
)
from tests.unit.dossier.fake_store import vault
from tests.unit.dossier.test_service_sheets import sheet_of

PDF = b"%PDF-1.4 test"


async def test_a_contact_keeps_its_names(world):
    contact_id = await contacts.create(world.store, world.parent, " Durand ", "Anne", "", "", "")
    await contacts.update(world.store, world.parent, contact_id, "Durand", "Anne", "3 rue", "0600000000", "")
    [listed] = await contacts.contacts(world.store, world.parent)
    assert (listed.last_name, listed.address) == ("Durand", "3 rue")
    with pytest.raises(EditRefused):
        await contacts.update(world.store, world.parent, contact_id, "Dupont", "Anne", "", "", "")
    with pytest.raises(NotFound):
        await contacts.update(world.store, world.other_parent, contact_id, "Durand", "Anne", "", "", "")


async def test_a_contact_named_on_a_childs_sheet_is_not_deleted(world):
    contact_id = await contacts.create(world.store, world.parent, "Durand", "Anne", "", "", "")
    sheet = await sheet_of(world, SheetKind.CONTACTS)
    link = {"contact_id": str(contact_id), "relationship": "Tante"}
    await sheets.save_draft(world.store, world.parent, sheet.id, {"links": [link]})
    with pytest.raises(DeletionRefused) as refused:
        await contacts.delete(world.store, world.parent, contact_id)
    assert "Léo" in refused.value.detail
    await sheets.save_draft(world.store, world.parent, sheet.id, {"links": []})
    await contacts.delete(world.store, world.parent, contact_id)
    assert await contacts.contacts(world.store, world.parent) == []


async def test_a_document_is_checked_sealed_and_read_back(world):
    v = vault()
    health = await sheet_of(world, SheetKind.SANITAIRE)
    added = await documents.upload(world.store, v, world.parent, health.id, DocumentKind.ORDONNANCE, PDF,
                                   "../ordonnance Léo.pdf")
    assert added.mime == "application/pdf" and added.name == "ordonnance Léo.pdf"
    assert PDF not in v.storage.files.values()  # sealed at rest
    got = await documents.download(world.store, v, world.parent, added.id)
    assert got.content == PDF
    assert world.store.data.health_reads == []  # the family's own read is not audited
    with pytest.raises(NotFound):
        await documents.download(world.store, v, world.other_parent, added.id)


async def test_a_document_is_refused_on_the_wrong_sheet_beyond_four_or_by_its_content(world):
    v = vault()
    health = await sheet_of(world, SheetKind.SANITAIRE)
    with pytest.raises(BadRequest):
        await documents.upload(world.store, v, world.parent, health.id, DocumentKind.JUSTIFICATIF_QF, PDF, "qf.pdf")
    with pytest.raises(FileRefused) as liar:
        await documents.upload(world.store, v, world.parent, health.id, DocumentKind.PAI, b"MZ...", "pai.pdf")
    assert "PDF, JPEG et PNG" in liar.value.detail
    for _ in range(4):
        await documents.upload(world.store, v, world.parent, health.id, DocumentKind.PAI, PDF, "pai.pdf")
    with pytest.raises(FileRefused) as fifth:
        await documents.upload(world.store, v, world.parent, health.id, DocumentKind.PAI, PDF, "pai.pdf")
    assert "4 fichiers au plus" in fifth.value.detail


async def test_documents_of_a_transmitted_sheet_stay_and_staff_reads_are_audited(world):
    v = vault()
    health = await sheet_of(world, SheetKind.SANITAIRE)
    added = await documents.upload(world.store, v, world.parent, health.id, DocumentKind.ORDONNANCE, PDF, "o.pdf")
    with pytest.raises(NotFound):  # a draft's document is the family's
        await documents.download(world.store, v, world.staff, added.id)
    await world.store.mark_submitted(health.id, SheetState.SUBMITTED, None)
    with pytest.raises(Refused):
        await documents.delete(world.store, v, world.parent, added.id)
    with pytest.raises(Refused):
        await documents.upload(world.store, v, world.parent, health.id, DocumentKind.ORDONNANCE, PDF, "o.pdf")
    assert (await documents.download(world.store, v, world.staff, added.id)).content == PDF
    [(child, read)] = world.store.data.health_reads
    assert child == world.child.id and read.reader == "s"
    with pytest.raises(NotFound):
        await documents.download(world.store, v, world.staff_elsewhere, added.id)


async def test_the_family_removes_a_document_while_the_sheet_may_change(world):
    v = vault()
    famille = await sheet_of(world, SheetKind.FAMILLE)
    added = await documents.upload(world.store, v, world.parent, famille.id, DocumentKind.JUSTIFICATIF_QF, PDF, "")
    assert added.name == "document"
    await documents.delete(world.store, v, world.parent, added.id)
    assert world.store.data.documents == {} and v.storage.files == {}
