"""Demo tariffs for the demo activities (published, so booking shows the same costs), and, in development
only, eopayment's `dummy` payment backend for the demo structure (its page: the gateway's /paiement-dummy/).
`demo-history`, once the services run: the invoices of the two past months, whose consumption lines billing
recorded from booking's demo transmission (services/booking/demo.py)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

from contracts.pricing import Bracket, Tariff
from kit.clock import paris_today, utc_now
from services.billing.domain.online import DUMMY, BackendConfig
from services.billing.service import OUTBOX, invoices, tariffs
from services.billing.store import Store
from services.billing.store import demo as queries

CARTEVILLE = uuid.UUID("5f1c1d2e-0000-4000-8000-000000000001")
# activity suffix (see services/booking/demo.py), name, unit, (price ≤ QF 700, price above), reduced from rank 2
TARIFFS = ((1, "Restauration scolaire", "session", (250, 359), (210, 298)),
           (2, "APS Matin", "session", (90, 112), None),
           (3, "APS Soir", "session", (170, 213), None),
           (4, "ALSH Mercredi Journée", "session", (420, 521), None),
           (5, "Accueil Saisie temps", "half_hour", (40, 60), None))


async def load(_settings, pool) -> None:
    async with Store(pool).transaction() as tx:
        for suffix, name, unit, (low, high), reduced in TARIFFS:
            activity_id = uuid.UUID(f"5f1c1d2e-0000-4000-9000-{suffix:012d}")
            if await tx.has_tariff(activity_id):
                continue
            tariff = Tariff(tariff_id=uuid.uuid5(activity_id, "demo"), activity_id=activity_id,
                            effective_from=date(2026, 9, 1), unit=unit, reduced_from_rank=2 if reduced else None,
                            brackets=[Bracket(qf_max=700, price_cents=low, reduced_price_cents=reduced[0] if reduced else None),
                                      Bracket(qf_max=None, price_cents=high,
                                              reduced_price_cents=reduced[1] if reduced else None)])
            await tariffs.save(tx, OUTBOX, CARTEVILLE, name, tariff)
        if getattr(_settings, "development", False) and await tx.backend_config(CARTEVILLE) is None:
            await tx.save_backend_config(BackendConfig(CARTEVILLE, DUMMY, {"origin": "Mairie de CarteVille"}), "demo",
                                         utc_now())


HISTORY_WAIT_SECONDS = 30
HISTORY_MONTHS = 4  # the closed months looked at (booking's history: two months of school)


async def load_history(_settings, pool) -> None:
    """The invoices of the past months whose consumption lines billing recorded from booking's demo
    transmission (services/booking/demo.py), once they have arrived; a month already invoiced issues
    nothing twice."""
    today = paris_today()
    months, first = [], today.replace(day=1)
    for _ in range(HISTORY_MONTHS):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(first)
    store = Store(pool)
    for _ in range(HISTORY_WAIT_SECONDS * 4):
        async with store.reading() as tx:
            if await queries.has_consumptions(tx.conn, months[-1], today.replace(day=1) - timedelta(days=1)):
                break
        await asyncio.sleep(0.25)
    else:
        raise RuntimeError("no consumption line of the past months reached billing: no invoice issued")
    for month in reversed(months):
        await invoices.issue_month(store, OUTBOX, f"{month:%Y-%m}", today)
