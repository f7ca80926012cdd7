"""An in-memory stand-in for dossier's store (services/dossier/store), with the same methods, for the fast
unit tests of the service layer; a transaction is undone when it raises, as PostgreSQL's would be."""

from __future__ import annotations

import copy
import json
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from services.dossier.domain.crypto import Sealer
from services.dossier.domain.documents import DocumentKind
from services.dossier.domain.sheets import SheetKind
from services.dossier.domain.states import SheetState
from services.dossier.service import Vault
from services.dossier.store import (
    Campaign,
    Child,
    Contact,
    Document,
    HealthRead,
    Insurer,
    NewSheet,
    PreviousSheet,
    ReviewItem,
    Sheet,
    SheetDocument,
)
from tests.unit.dossier.fake_campaign import FakeCampaignQueries

MOMENT = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


@dataclass
class Data:
    campaigns: list[Campaign] = field(default_factory=list)
    families: dict[uuid.UUID, tuple[str, list[uuid.UUID]]] = field(default_factory=dict)  # identifiant, guardians
    children: list[Child] = field(default_factory=list)
    sheets: dict[uuid.UUID, Sheet] = field(default_factory=dict)
    reviews: dict[uuid.UUID, tuple] = field(default_factory=dict)
    documents: dict[uuid.UUID, Document] = field(default_factory=dict)
    contacts: dict[uuid.UUID, Contact] = field(default_factory=dict)
    insurers: list[Insurer] = field(default_factory=list)
    health_reads: list[tuple[uuid.UUID | None, HealthRead]] = field(default_factory=list)


class FakeStore(FakeCampaignQueries):
    def __init__(self) -> None:
        self.data = Data()
        self.conn = object()  # what the outbox is handed
        self.tick = 0

    @asynccontextmanager
    async def transaction(self):
        saved = copy.deepcopy(self.data)
        try:
            yield self
        except BaseException:
            self.data = saved
            raise

    @asynccontextmanager
    async def connection(self):
        yield self

    # -- set-up helpers of the tests ----------------------------------------------------------------------------
    def add_family(self, family_id: uuid.UUID, identifiant: str = "F-1", other_guardians=()) -> None:
        self.data.families[family_id] = (identifiant, list(other_guardians))

    def add_child(self, family_id: uuid.UUID, first_name: str, structure_id: uuid.UUID) -> Child:
        child = Child(uuid.uuid4(), family_id, first_name, "Martin", structure_id)
        self.data.children.append(child)
        return child

    # -- campaigns and sheets ---------------------------------------------------------------------------------------
    async def current_campaign(self) -> Campaign | None:
        return self.data.campaigns[-1] if self.data.campaigns else None

    async def create_campaign(self, campaign_id: uuid.UUID, school_year: str) -> bool:
        if any(c.school_year == school_year for c in self.data.campaigns):
            return False
        self.data.campaigns.append(Campaign(campaign_id, school_year))
        return True

    async def sheet(self, sheet_id: uuid.UUID, lock: bool = False) -> Sheet | None:
        found = self.data.sheets.get(sheet_id)
        return copy.deepcopy(found) if found else None

    async def sheets_of(self, campaign_id: uuid.UUID, family_id: uuid.UUID) -> list[Sheet]:
        found = [s for s in self.data.sheets.values() if s.campaign_id == campaign_id and s.family_id == family_id]
        return [copy.deepcopy(s) for s in sorted(found, key=lambda s: (s.child_id is not None, str(s.child_id),
                                                                       s.kind.value))]

    async def all_sheets_of(self, family_id: uuid.UUID) -> list[Sheet]:
        return [copy.deepcopy(s) for s in self.data.sheets.values() if s.family_id == family_id]

    async def subject_keys(self, campaign_id: uuid.UUID, family_id: uuid.UUID) -> set[tuple[str, str]]:
        return {(s.kind.value, s.subject_key) for s in self.data.sheets.values()
                if s.campaign_id == campaign_id and s.family_id == family_id}

    async def previous_sheets(self, family_id, campaign_id) -> dict[tuple[str, str], PreviousSheet]:
        found: dict[tuple[str, str], PreviousSheet] = {}
        for s in self.data.sheets.values():  # in the order written: the latest wins
            if s.family_id == family_id and s.campaign_id != campaign_id:
                found[(s.kind.value, s.subject_key)] = PreviousSheet(s.kind.value, s.subject_key, s.state,
                                                                     json.dumps(s.data), None)
        return found

    async def add_sheets(self, campaign_id: uuid.UUID, family_id: uuid.UUID, sheets: list[NewSheet]) -> None:
        year = next(c.school_year for c in self.data.campaigns if c.id == campaign_id)
        taken = await self.subject_keys(campaign_id, family_id)
        for s in sheets:
            if (s.kind.value, s.subject_key) in taken:
                continue
            data = json.loads(s.prefill.data_json) if s.prefill and s.prefill.data_json else {}
            self.data.sheets[s.id] = Sheet(s.id, campaign_id, year, family_id, s.kind, s.child_id, s.structure_id,
                                           s.subject_key, s.state, data)

    async def write_data(self, sheet_id: uuid.UUID, kind: SheetKind, data_json: str) -> None:
        self.data.sheets[sheet_id].data = json.loads(data_json)

    async def set_state(self, sheet_id: uuid.UUID, state: SheetState) -> None:
        self.data.sheets[sheet_id].state = state

    async def mark_submitted(self, sheet_id, state, at) -> None:
        sheet = self.data.sheets[sheet_id]
        sheet.state, sheet.submitted_at, sheet.refusal_reason = state, at, None

    async def mark_reviewed(self, sheet_id, state, at, by, reason) -> None:
        sheet = self.data.sheets[sheet_id]
        sheet.state, sheet.refusal_reason = state, reason
        self.data.reviews[sheet_id] = (at, by, reason)

    async def waiting_for_review(self, campaign_id: uuid.UUID) -> list[ReviewItem]:
        found = []
        for s in self.data.sheets.values():
            if s.campaign_id == campaign_id and s.state is SheetState.SUBMITTED:
                structures = await self.children_structures(s.family_id, s.child_id)
                if s.structure_id:
                    structures.add(s.structure_id)
                found.append(ReviewItem(s.id, s.kind.value, s.family_id, self.data.families[s.family_id][0],
                                        s.child_id, s.state, s.submitted_at or MOMENT, frozenset(structures)))
        return found

    # -- documents ------------------------------------------------------------------------------------------------
    async def documents_of_sheet(self, sheet_id: uuid.UUID) -> list[Document]:
        return [d for d in self.data.documents.values() if d.sheet_id == sheet_id]

    async def documents_of_family(self, family_id: uuid.UUID) -> list[Document]:
        return [d for d in self.data.documents.values() if d.family_id == family_id]

    async def document_counts(self, sheet_id: uuid.UUID) -> dict[DocumentKind, int]:
        counts: dict[DocumentKind, int] = {}
        for d in await self.documents_of_sheet(sheet_id):
            counts[DocumentKind(d.kind)] = counts.get(DocumentKind(d.kind), 0) + 1
        return counts

    async def document(self, document_id: uuid.UUID, lock: bool = False) -> SheetDocument | None:
        document = self.data.documents.get(document_id)
        if document is None:
            return None
        sheet = self.data.sheets[document.sheet_id]
        return SheetDocument(document, sheet.state, sheet.child_id, sheet.structure_id)

    async def add_document(self, document: Document) -> None:
        self.tick += 1
        self.data.documents[document.id] = replace(document, uploaded_at=MOMENT.replace(second=self.tick % 60))

    async def delete_document(self, document_id: uuid.UUID) -> None:
        del self.data.documents[document_id]

    # -- people ---------------------------------------------------------------------------------------------------
    async def family_ids(self) -> list[uuid.UUID]:
        return list(self.data.families)

    async def other_guardians(self, family_id: uuid.UUID) -> list[uuid.UUID]:
        return list(self.data.families.get(family_id, ("", []))[1])

    async def children(self, family_id: uuid.UUID) -> list[Child]:
        return [c for c in self.data.children if c.family_id == family_id]

    async def child(self, child_id: uuid.UUID) -> Child | None:
        return next((c for c in self.data.children if c.id == child_id), None)

    async def children_structures(self, family_id, child_id) -> set[uuid.UUID]:
        return {c.structure_id for c in self.data.children if c.structure_id is not None
                and (c.id == child_id if child_id is not None else c.family_id == family_id)}

    async def contacts(self, family_id: uuid.UUID) -> list[Contact]:
        return sorted((c for c in self.data.contacts.values() if c.family_id == family_id),
                      key=lambda c: (c.last_name, c.first_name))

    async def contact(self, contact_id, family_id, lock: bool = False) -> Contact | None:
        found = self.data.contacts.get(contact_id)
        return found if found and found.family_id == family_id else None

    async def add_contact(self, contact: Contact) -> None:
        self.data.contacts[contact.id] = contact

    async def update_contact(self, contact_id, address, phone, email) -> None:
        self.data.contacts[contact_id] = replace(self.data.contacts[contact_id], address=address, phone=phone,
                                                 email=email)

    async def delete_contact(self, contact_id: uuid.UUID) -> None:
        del self.data.contacts[contact_id]

    async def insurers(self) -> list[Insurer]:
        return sorted(self.data.insurers, key=lambda i: i.name)

    async def add_insurer(self, name: str, address: str, phone: str) -> None:
        if all(i.name != name for i in self.data.insurers):
            self.data.insurers.append(Insurer(uuid.uuid4(), name))

    async def record_health_read(self, reader: str, child_id, sheet_id) -> None:
        self.data.health_reads.append((child_id, HealthRead(reader, sheet_id, MOMENT)))

    async def health_reads(self, child_id: uuid.UUID) -> list[HealthRead]:
        return [read for child, read in self.data.health_reads if child == child_id]


class FakeOutbox:
    """Records what the service publishes, in order."""

    def __init__(self) -> None:
        self.events: list = []

    async def add(self, conn, payload, *, secret: bool = False):
        self.events.append(payload)

    async def add_many(self, conn, payloads) -> None:
        self.events.extend(payloads)

    def of(self, cls) -> list:
        return [e for e in self.events if isinstance(e, cls)]


class MemoryStorage:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    async def put(self, data: bytes) -> str:
        key = uuid.uuid4().hex
        self.files[key] = data
        return key

    async def get(self, key: str) -> bytes:
        return self.files[key]

    async def delete(self, key: str) -> None:
        self.files.pop(key, None)


def vault() -> Vault:
    return Vault(Sealer(Sealer.generate_key()), MemoryStorage())
