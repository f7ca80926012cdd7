"""The staff's side of the dossier: opening a campaign (administrators), the queue of transmitted sheets,
reading one (a health sheet's read audited), the review (publishing dossier.sheet_reviewed, and what an
approval changes: an insurer joins the list, a family's quotient becomes current), the audit of reads."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from contracts.dossier import DossierFamilyUpdatedV1, DossierSheetReviewedV1, DossierSheetReviewedV2
from kit import clock
from kit.identity import Identity
from kit.outbox import Producer
from services.dossier import access
from services.dossier.domain import campaign as campaigns
from services.dossier.domain import review as reviews
from services.dossier.domain import states
from services.dossier.domain.sheets import HEALTH_KINDS, LABELS
from services.dossier.store import Document, HealthRead, ReviewItem, Sheet, Store, Tx

from .errors import Conflict, NotFound, Refused, SchoolYearRefused
from .sheets import current_campaign, ensure_sheets

SCHOOL_YEAR_FORMAT = "Format attendu : 2026-2027."


@dataclass(frozen=True)
class StaffSheet:
    sheet: Sheet
    documents: list[Document]


async def open_campaign(store: Store, who: Identity, school_year: str) -> uuid.UUID:
    """A new school year: every family's sheets open, prefilled with last year's."""
    access.require_admin(who)
    if not campaigns.is_school_year(school_year):
        raise SchoolYearRefused(SCHOOL_YEAR_FORMAT)
    campaign_id = uuid.uuid4()
    async with store.transaction() as tx:
        if not await tx.create_campaign(campaign_id, school_year):
            raise Conflict(f"La campagne {school_year} est déjà ouverte.")
        for family_id in await tx.family_ids():
            await ensure_sheets(tx, campaign_id, family_id)
    return campaign_id


async def to_review(store: Store, who: Identity) -> list[ReviewItem]:
    """The transmitted sheets of the open campaign the person may review, oldest first."""
    access.require_staff(who)
    async with store.connection() as tx:
        campaign = await current_campaign(tx)
        waiting = await tx.waiting_for_review(campaign.id)
    return [r for r in waiting if access.may_review_sheet(who, r.family_id, r.state, r.structures)]


async def _staff_sheet(tx: Tx, who: Identity, sheet_id: uuid.UUID, lock: bool = False,
                       review: bool = False) -> Sheet:
    access.require_staff(who)
    found = await tx.sheet(sheet_id, lock)
    if found is None:
        raise NotFound(access.SHEET_NOT_FOUND)
    structures = access.sheet_structures(await tx.children_structures(found.family_id, found.child_id),
                                         found.structure_id)
    access.require_staff_sheet(who, found.family_id, found.state, structures, review=review)
    return found


async def staff_sheet(store: Store, who: Identity, sheet_id: uuid.UUID) -> StaffSheet:
    async with store.transaction() as tx:
        found = await _staff_sheet(tx, who, sheet_id)
        if access.audited(who, found.kind in HEALTH_KINDS):  # who read which child's health data
            await tx.record_health_read(who.subject, found.child_id, found.id)
        return StaffSheet(found, await tx.documents_of_sheet(found.id))


async def review(store: Store, outbox: Producer, who: Identity, sheet_id: uuid.UUID, decision: reviews.Decision,
                 reason: str | None) -> states.SheetState:
    """The manager's decision on a transmitted sheet."""
    async with store.transaction() as tx:
        found = await _staff_sheet(tx, who, sheet_id, lock=True, review=True)
        try:
            new_state = states.review(found.state, reviews.approved(decision), reason)
        except states.DossierError as exc:
            raise Refused(exc.message) from None
        now = clock.utc_now()
        kept_reason = reviews.refusal_reason(decision, reason)
        await tx.mark_reviewed(found.id, new_state, now, who.subject, kept_reason)
        child = await tx.child(found.child_id) if found.child_id else None
        # the child's name and the reason (health data for a health sheet) only on the internal exchange,
        # for the family's mail; the public event says the fact
        private = DossierSheetReviewedV1(
            family_id=found.family_id, sheet_id=found.id, sheet_kind=found.kind.value, sheet_label=LABELS[found.kind],
            child_id=found.child_id, child_first_name=child.first_name if child else None,
            child_last_name=child.last_name if child else None, decision=decision, reason=kept_reason,
            reviewed_at=now, structure_id=found.structure_id or (child.structure_id if child else None))
        await outbox.add(tx.conn, private)
        await outbox.add(tx.conn, DossierSheetReviewedV2.of(private))
        insurer = reviews.insurer_to_add(found.kind, decision, found.data)
        if insurer is not None:
            await tx.add_insurer(insurer.name, insurer.address, insurer.phone)
        quotient = reviews.quotient_update(found.kind, decision, found.data)
        if quotient is not None:
            await outbox.add(tx.conn, DossierFamilyUpdatedV1(
                family_id=found.family_id, family_quotient=quotient.family_quotient,
                allocataire_regime=quotient.allocataire_regime, updated_at=now))
    return new_state


async def audit(store: Store, who: Identity, child_id: uuid.UUID) -> list[HealthRead]:
    """Who read a child's health data, when (administrators)."""
    access.require_admin(who)
    async with store.connection() as tx:
        return await tx.health_reads(child_id)
