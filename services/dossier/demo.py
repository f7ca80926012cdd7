"""Demo: the 2026-2027 dossier campaign is open (for `make run`); and, once auth's facts have arrived
(`demo-history`, after the services start), the other demo families' dossiers at the states staff meet:
a draft, a sheet transmitted and waiting, one validated, one refused with its reason (the demo family
DUPONT-0042 has not started), each through the same service functions as the pages."""

from __future__ import annotations

import asyncio
import uuid

from contracts.dossier_sheets import SheetKind
from kit.identity import Identity
from services.dossier.domain.crypto import Sealer
from services.dossier.service import OUTBOX, sheets, staff
from services.dossier.store import Store, Tx
from services.dossier.store import demo as queries

DEMO_CAMPAIGN_ID = uuid.UUID("5f1c1d2e-0000-4000-a000-000000000001")
CARTEVILLE = uuid.UUID("5f1c1d2e-0000-4000-8000-000000000001")
AGENT = Identity(subject=str(uuid.uuid5(CARTEVILLE, "agent.carteville")), role="staff", structures=(CARTEVILLE,))
# the families of services/auth/demo.py and where their dossier stands
STATES = (("MARTIN-0101", "brouillon"), ("BERNARD-0102", "transmise"), ("PETIT-0103", "validee"),
          ("ROBERT-0104", "refusee"))
FAMILY_DRAFT = {"address": "12 rue des Écoles", "postal_code": "33000", "city": "CarteVille"}
AUTHORISATIONS = {"image_rights": True, "publication_rights": False, "emergency_medical_care": True,
                  "hospital_transport": True, "leave_alone_after_activity": True}
REFUSAL = ("Partir seul après l'activité : précisez dans les remarques l'heure et le trajet de l'enfant, puis "
           "transmettez à nouveau la fiche.")
WAIT_SECONDS = 30


async def load(_settings, pool) -> None:
    async with pool.acquire() as conn:
        await Tx(conn).create_campaign(DEMO_CAMPAIGN_ID, "2026-2027")


async def _family(store: Store, identifiant: str) -> uuid.UUID:
    for _ in range(WAIT_SECONDS * 4):
        async with store.connection() as tx:
            family_id = await queries.family_with_children(tx.conn, identifiant)
        if family_id is not None:
            return family_id
        await asyncio.sleep(0.25)
    raise RuntimeError(f"the demo family {identifiant} has not reached dossier")


async def load_history(settings, pool) -> None:
    """Each demo family's dossier at its state, once (a family whose sheets have moved is left alone)."""
    store = Store(pool, Sealer(settings.dossier_key, old_keys=settings.old_keys))
    for identifiant, state in STATES:
        parent = Identity(subject=f"demo:{identifiant}", role="parent", family_id=await _family(store, identifiant))
        view = await sheets.dossier(store, parent)
        if any(v.sheet.state != "a_remplir" for v in view.sheets):
            continue
        by_kind = {v.sheet.kind: v.sheet.id for v in view.sheets}
        if state == "brouillon":
            await sheets.save_draft(store, parent, by_kind[SheetKind.FAMILLE], FAMILY_DRAFT)
            continue
        sheet_id = by_kind[SheetKind.AUTORISATIONS]
        await sheets.submit(store, OUTBOX, parent, sheet_id, AUTHORISATIONS)
        if state == "validee":
            await staff.review(store, OUTBOX, AGENT, sheet_id, "approved", None)
        elif state == "refusee":
            await staff.review(store, OUTBOX, AGENT, sheet_id, "refused", REFUSAL)
