"""The campaign's closing day and the reminder before it (issue 19): an administrator sets the day; the run
(`python -m services.dossier reminders`, a CronJob) tells notify which families of each structure have an
incomplete dossier within the days before it (services/dossier/domain/closing.py); notify mails each family
once per school year, never one that turned reminders off, with the staff reminder's mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from contracts.reminders import DossierClosingReminderV1
from kit import clock
from kit.identity import Identity
from kit.outbox import Producer
from services.dossier import access
from services.dossier.domain import closing as rules
from services.dossier.store import Store

from .errors import BadRequest, NotFound


@dataclass(frozen=True)
class ClosingReport:
    school_year: str | None
    reminders: int


async def set_closing(store: Store, who: Identity, school_year: str, closes_on: date | None) -> None:
    access.require_admin(who)
    if closes_on is not None and (refusal := rules.closing_day_refusal(school_year, closes_on)):
        raise BadRequest(refusal)
    async with store.transaction() as tx:
        if not await tx.set_campaign_closing(school_year, closes_on):
            raise NotFound("Aucune campagne pour cette année scolaire.")


async def run(store: Store, outbox: Producer, days_before: int, now: datetime | None = None) -> ClosingReport:
    """One event per structure and family with an incomplete dossier, while the reminder is due."""
    now = now or clock.utc_now()
    reminders = 0
    async with store.transaction() as tx:
        current = await tx.current_campaign_closing()
        if current is None:
            return ClosingReport(None, 0)
        campaign_id, school_year, closes_on = current
        if not rules.reminder_due(closes_on, clock.paris_today(now), days_before):
            return ClosingReport(school_year, 0)
        for structure_id, name in await tx.all_structures():
            for family in await tx.structure_progress(campaign_id, structure_id):
                if rules.incomplete(family.sheets):
                    await outbox.add(tx.conn, DossierClosingReminderV1(
                        family_id=family.family_id, structure_id=structure_id, structure_name=name,
                        reason_key=rules.reason_key(school_year), school_year=school_year, closes_on=closes_on,
                        due_at=now))
                    reminders += 1
    return ClosingReport(school_year, reminders)


async def current(store: Store, who: Identity) -> tuple[str, date | None] | None:
    """The current campaign's school year and closing day (staff and administrators read it)."""
    access.require_staff(who)
    async with store.connection() as tx:
        found = await tx.current_campaign_closing()
    return (found[1], found[2]) if found else None
