"""The staff's follow-up of the open campaign for a structure: how far its families have got (per sheet
kind), the reminder to those that have not started (one mail per family and day, logged, sent by notify
from dossier.reminder), and the structure's règlement intérieur (a PDF per school year, versioned: a new
version sends the signed règlement sheets back to « À remplir » and is published as
dossier.house_rules_published, which closes booking until the family signs again)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from contracts.dossier import DossierHouseRulesPublishedV1, DossierReminderV1
from kit import clock
from kit.identity import Identity
from kit.outbox import Producer
from services.dossier import access
from services.dossier.domain import campaign as campaigns
from services.dossier.domain import house_rules as rules
from services.dossier.domain import progress as progresses
from services.dossier.domain.documents import UploadRefused, display_name
from services.dossier.store import Campaign, FamilyProgress, HouseRules, Store, Tx

from . import Vault
from .errors import FileRefused, NotFound, SchoolYearRefused
from .sheets import current_campaign

UNKNOWN_STRUCTURE = "Structure inconnue."
SCHOOL_YEAR_FORMAT = "Format attendu : 2026-2027."


@dataclass(frozen=True)
class CampaignProgress:
    campaign: Campaign
    structure_name: str
    kinds: list[progresses.KindProgress]
    families: list[FamilyProgress]
    not_started: list[FamilyProgress]


@dataclass(frozen=True)
class Reminded:
    reminded: int  # families mailed now
    already: int  # families already reminded today: not mailed again


@dataclass(frozen=True)
class Published:
    rules: HouseRules
    to_sign_again: int


async def _structure_name(tx: Tx, structure_id: uuid.UUID) -> str:
    name = await tx.structure_name(structure_id)
    if name is None:
        raise NotFound(UNKNOWN_STRUCTURE)
    return name


async def progress(store: Store, who: Identity, structure_id: uuid.UUID) -> CampaignProgress:
    """Per sheet kind, how many families of the structure are in each state; who has not started."""
    access.require_structure_staff(who, structure_id)
    async with store.connection() as tx:
        campaign = await current_campaign(tx)
        name = await _structure_name(tx, structure_id)
        families = await tx.structure_progress(campaign.id, structure_id)
    return CampaignProgress(campaign, name, progresses.kind_progress({f.family_id: f.sheets for f in families}),
                            families, [f for f in families if progresses.not_started(f.sheets)])


async def remind(store: Store, outbox: Producer, who: Identity, structure_id: uuid.UUID,
                 now: datetime | None = None) -> Reminded:
    """Remind every family of the structure that has not started, unless it was reminded today (in Paris):
    each one reminded gets one mail (dossier.reminder → notify), and the reminder is logged."""
    access.require_structure_staff(who, structure_id)
    now = now or clock.utc_now()
    today = clock.paris_today(now)
    reminded = already = 0
    async with store.transaction() as tx:
        campaign = await current_campaign(tx)
        name = await _structure_name(tx, structure_id)
        for family in await tx.structure_progress(campaign.id, structure_id):
            if not progresses.not_started(family.sheets):
                continue
            # the day's row is the guarantee: a second click, or a colleague's at the same time, adds none
            if not progresses.reminder_due(family.last_reminded_on, today) or not await tx.record_reminder(
                    campaign.id, family.family_id, today, structure_id, who.subject, now):
                already += 1
                continue
            await outbox.add(tx.conn, DossierReminderV1(family_id=family.family_id, structure_id=structure_id,
                                                        structure_name=name, school_year=campaign.school_year,
                                                        reminded_at=now))
            reminded += 1
    return Reminded(reminded, already)


async def house_rules_of(store: Store, who: Identity, structure_id: uuid.UUID) -> list[HouseRules]:
    access.require_structure_staff(who, structure_id)
    async with store.connection() as tx:
        return await tx.house_rules_of(structure_id)


async def publish_house_rules(store: Store, vault: Vault, outbox: Producer, who: Identity, structure_id: uuid.UUID,
                              school_year: str, content: bytes, file_name: str | None) -> Published:
    """A new version of the structure's règlement for the school year: the signed règlement sheets of an
    older version go back to « À remplir » (their signature removed), and booking is told."""
    access.require_structure_staff(who, structure_id)
    if not campaigns.is_school_year(school_year):
        raise SchoolYearRefused(SCHOOL_YEAR_FORMAT)
    try:
        rules.check_house_rules_file(content)
    except UploadRefused as exc:
        raise FileRefused(exc.message) from None
    now = clock.utc_now()
    async with store.transaction() as tx:
        await _structure_name(tx, structure_id)
        version = rules.next_version(await tx.lock_house_rules(structure_id, school_year))
        key = await vault.storage.put(vault.sealer.seal(content))
        added = HouseRules(uuid.uuid4(), structure_id, school_year, version, key, len(content),
                           display_name(file_name), who.subject, now)
        await tx.add_house_rules(added)
        again = 0
        for signed in await tx.rules_sheets(structure_id, school_year):
            if rules.must_sign_again(signed.state, signed.version, version):
                sheet = await tx.sheet(signed.sheet_id)
                assert sheet is not None
                await tx.unsign(signed.sheet_id, json.dumps(rules.unsigned_data(sheet.data)))
                again += 1
        await outbox.add(tx.conn, DossierHouseRulesPublishedV1(structure_id=structure_id, school_year=school_year,
                                                               version=version, published_at=now))
    return Published(added, again)


async def house_rules_file(store: Store, vault: Vault, who: Identity, rules_id: uuid.UUID) -> tuple[HouseRules, bytes]:
    """A règlement's PDF, for its structure's staff or a family with a règlement sheet for the structure."""
    access.require_signed_in(who)
    async with store.connection() as tx:
        found = await tx.house_rules(rules_id)
        if found is None:
            raise NotFound(access.HOUSE_RULES_NOT_FOUND)
        own = await tx.rules_structures_of(who.family_id) if access.is_family(who) and who.family_id else set()
        access.require_house_rules(who, found.structure_id, own)
    return found, vault.sealer.open(await vault.storage.get(found.storage_key))
