"""Tariffs: a version of an activity's tariff published by staff of its structure, and its event (booking
keeps a copy to show the same costs, ADR 0003)."""

from __future__ import annotations

import uuid
from datetime import date

from contracts.billing import BillingTariffPublishedV1
from contracts.pricing import Tariff, current_tariff
from kit.identity import Identity
from services.billing import access
from services.billing.domain.errors import TariffExists
from services.billing.service import Outbox
from services.billing.store import Store, Tx


async def publish(store: Store, outbox: Outbox, who: Identity, structure_id: uuid.UUID, activity_name: str,
                  tariff: Tariff) -> Tariff:
    """TariffExists when the activity already has a version at that date in that structure."""
    async with store.transaction() as tx:
        access.tariff_publisher(who, structure_id, await tx.activity_elsewhere(tariff.activity_id, structure_id))
        if not await save(tx, outbox, structure_id, activity_name, tariff):
            raise TariffExists("Un tarif existe déjà pour cette activité à cette date de révision.")
    return tariff


async def save(tx: Tx, outbox: Outbox, structure_id: uuid.UUID, activity_name: str, tariff: Tariff) -> bool:
    """The version and its event; False (nothing written) when one exists at that date."""
    if not await tx.insert_tariff(structure_id, activity_name, tariff):
        return False
    await outbox.add(tx.conn, BillingTariffPublishedV1(structure_id=structure_id, activity_name=activity_name,
                                                       tariff=tariff))
    return True


async def history(store: Store, who: Identity, structure_id: uuid.UUID, activity_id: uuid.UUID,
                  today: date) -> tuple[list[Tariff], Tariff | None]:
    """The activity's versions published by the structure, newest first, and the one in force today."""
    access.tariff_reader(who, structure_id)
    async with store.reading() as tx:
        versions = await tx.tariff_versions(structure_id, activity_id)
    return sorted(versions, key=lambda v: v.effective_from, reverse=True), current_tariff(versions, today)
