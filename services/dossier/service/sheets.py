"""The family's sheets: opened for the campaign (prefilled from last year), listed with what each still
needs, read, saved as a draft and transmitted (publishing dossier.sheet_submitted, and for a signed
règlement intérieur dossier.house_rules_signed)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from contracts.dossier import DossierHouseRulesSignedV1, DossierSheetSubmittedV1
from kit import clock
from kit.http import french_message
from kit.identity import Identity
from kit.outbox import Producer
from services.dossier import access
from services.dossier.domain import campaign as campaigns
from services.dossier.domain import states
from services.dossier.domain.documents import missing_documents
from services.dossier.domain.sheets import SheetKind, missing_for_submission, parse, read_saved
from services.dossier.store import Campaign, Child, Document, HouseRules, NewSheet, Sheet, Store, Tx

from .errors import Incomplete, Invalid, NotFound, Refused

NO_CAMPAIGN = "Aucune campagne de dossier n'est ouverte pour le moment."
UNKNOWN_CONTACT = "Contact inconnu : ajoutez-le d'abord à vos contacts."


@dataclass(frozen=True)
class SheetView:
    sheet: Sheet
    label: str
    missing: list[str]


@dataclass(frozen=True)
class DossierView:
    campaign: Campaign
    sheets: list[SheetView]
    children: list[Child]
    progress: campaigns.Progress


@dataclass(frozen=True)
class SheetDetail:
    view: SheetView
    documents: list[Document]
    editable: bool
    house_rules: HouseRules | None = None  # a règlement sheet: the version to read before signing


async def current_rules(tx: Tx, sheet: Sheet) -> HouseRules | None:
    """The règlement published for a règlement sheet's structure and school year (its latest version)."""
    if sheet.kind is not SheetKind.REGLEMENT or sheet.structure_id is None:
        return None
    return await tx.current_house_rules(sheet.structure_id, sheet.school_year)


async def current_campaign(tx: Tx) -> Campaign:
    campaign = await tx.current_campaign()
    if campaign is None:
        raise NotFound(NO_CAMPAIGN)
    return campaign


async def ensure_sheets(tx: Tx, campaign_id: uuid.UUID, family_id: uuid.UUID, follow: bool = True) -> None:
    """Every sheet of the family exists in the campaign; a new one is last year's renewed for the
    campaign (its data kept to prefill the form, its state from ``states.renew_for_campaign``). A child
    shared with another household has its sheets under its first family: they are made there."""
    every_child = await tx.children(family_id)
    children = [c for c in every_child if c.family_id == family_id]
    if follow:
        for first_family in dict.fromkeys(c.family_id for c in every_child if c.family_id != family_id):
            await ensure_sheets(tx, campaign_id, first_family, follow=False)
    subjects = campaigns.subjects(await tx.other_guardians(family_id), [(c.id, c.structure_id) for c in children])
    missing = campaigns.missing_subjects(subjects, await tx.subject_keys(campaign_id, family_id))
    if not missing:
        return
    previous = await tx.previous_sheets(family_id, campaign_id)
    new = []
    for subject in missing:
        prefill = previous.get((subject.kind.value, subject.key))
        new.append(NewSheet(uuid.uuid4(), subject.kind, subject.key, subject.child_id, subject.structure_id,
                            campaigns.opening_state(prefill.state if prefill else None), prefill))
    await tx.add_sheets(campaign_id, family_id, new)


async def view_of(tx: Tx, sheet: Sheet, children: dict[uuid.UUID, Child]) -> SheetView:
    child = children.get(sheet.child_id) if sheet.child_id else None
    model = read_saved(sheet.kind, sheet.data)
    return SheetView(sheet, campaigns.sheet_label(sheet.kind, child.first_name if child else None),
                     await missing(tx, sheet, model))


async def missing(tx: Tx, sheet: Sheet, model: BaseModel) -> list[str]:
    """What the sheet still needs before transmission: its fields, then its documents."""
    return missing_for_submission(sheet.kind, model) + missing_documents(
        sheet.kind, model, await tx.document_counts(sheet.id))


async def dossier(store: Store, who: Identity) -> DossierView:
    """The family's dossier of the open campaign (its sheets created on the first visit)."""
    family_id = access.require_family(who)
    async with store.transaction() as tx:
        campaign = await current_campaign(tx)
        await ensure_sheets(tx, campaign.id, family_id)
        children = await tx.children(family_id)
        by_id = {c.id: c for c in children}
        views = [await view_of(tx, s, by_id) for s in await tx.sheets_of(campaign.id, family_id)]
    return DossierView(campaign, views, children, campaigns.progress(v.sheet.state for v in views))


async def own_sheet(tx: Tx, who: Identity, sheet_id: uuid.UUID, lock: bool = False) -> Sheet:
    """The family's sheet; a child's sheet is shared by the child's two households (garde alternée): either
    sees, fills and transmits it."""
    access.require_family(who)
    found = await tx.sheet(sheet_id, lock)
    access.require_own_sheet(who, await households_of(tx, found) if found else None)
    assert found is not None
    return found


async def households_of(tx: Tx, found: Sheet) -> tuple[uuid.UUID, ...]:
    """The families a sheet belongs to: its family's, and for a child's sheet every household of the child."""
    child = await tx.child(found.child_id) if found.child_id else None
    return tuple(dict.fromkeys((found.family_id, *(child.households if child else ()))))


async def sheet(store: Store, who: Identity, sheet_id: uuid.UUID) -> SheetDetail:
    async with store.connection() as tx:
        found = await own_sheet(tx, who, sheet_id)
        children = {c.id: c for c in await tx.children(found.family_id)}
        return SheetDetail(await view_of(tx, found, children), await tx.documents_of_sheet(found.id),
                           states.can_edit(found.state), await current_rules(tx, found))


def checked(kind: SheetKind, data: dict) -> BaseModel:
    """The posted data of a sheet, checked against its form on the day in Paris."""
    try:
        return parse(kind, data, today=clock.paris_today())
    except ValidationError as exc:
        raise Invalid(" ".join(french_message(e) for e in exc.errors(include_url=False))) from None


async def _posted(tx: Tx, who: Identity, sheet_id: uuid.UUID, data: dict) -> tuple[Sheet, BaseModel]:
    """The family's sheet, locked, with the posted data checked against its form."""
    found = await own_sheet(tx, who, sheet_id, lock=True)
    model = checked(found.kind, data)
    if found.kind is SheetKind.CONTACTS:
        known = {c.id for c in await tx.contacts(found.family_id)}
        if any(link.contact_id not in known for link in model.links):  # type: ignore[attr-defined]
            raise Invalid(UNKNOWN_CONTACT)
    return found, model


async def save_draft(store: Store, who: Identity, sheet_id: uuid.UUID, data: dict) -> states.SheetState:
    """« Enregistrer en brouillon »."""
    async with store.transaction() as tx:
        found, model = await _posted(tx, who, sheet_id, data)
        try:
            new_state = states.save_draft(found.state)
        except states.DossierError as exc:
            raise Refused(exc.message) from None
        await tx.write_data(found.id, found.kind, model.model_dump_json(exclude_none=False))
        await tx.set_state(found.id, new_state)
    return new_state


async def submit(store: Store, outbox: Producer, who: Identity, sheet_id: uuid.UUID,
                 data: dict) -> states.SheetState:
    """« Valider et transmettre la fiche »: the data is saved even when something is still missing (the
    family keeps what it typed); a complete sheet is transmitted and its transmission published."""
    refusal: Incomplete | None = None
    async with store.transaction() as tx:
        found, model = await _posted(tx, who, sheet_id, data)
        try:
            states.check_editable(found.state)
        except states.DossierError as exc:
            raise Refused(exc.message) from None
        await tx.write_data(found.id, found.kind, model.model_dump_json(exclude_none=False))
        found_missing = await missing(tx, found, model)
        try:
            new_state = states.submit(found.state, found_missing)
        except states.DossierError as exc:
            refusal = Incomplete(exc.message, exc.missing)
        else:
            now = clock.utc_now()
            await tx.mark_submitted(found.id, new_state, now)
            await outbox.add(tx.conn, DossierSheetSubmittedV1(
                family_id=found.family_id, sheet_id=found.id, sheet_kind=found.kind.value, child_id=found.child_id,
                school_year=found.school_year, submitted_at=now))
            if found.kind is SheetKind.REGLEMENT:  # signed: booking opens to this child in this structure
                rules = await current_rules(tx, found)  # the version on the page the family signed
                version = rules.version if rules else None
                await tx.set_house_rules_version(found.id, version)
                await outbox.add(tx.conn, DossierHouseRulesSignedV1(
                    family_id=found.family_id, child_id=found.child_id, structure_id=found.structure_id,
                    school_year=found.school_year, signed_at=now, version=version))
    if refusal is not None:  # raised once the typed data is committed
        raise refusal
    return new_state
