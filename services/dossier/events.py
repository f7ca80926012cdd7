"""What dossier consumes and publishes outside its requests: its copies of auth's facts (structures,
families with their other responsables, children; kept under one freshness rule, kit/projection.py), the
consistency check (its facts digest, and the verdict on auth's), and the resync that republishes the facts
it owns. The events of the family's and staff's actions are published by the service layer."""

from __future__ import annotations

import uuid

import asyncpg

from contracts import Envelope
from contracts.auth import AuthFamilyChangedV1, AuthStructureChangedV1
from contracts.consistency import AuthFactsDigestV1, ConsistencyCheckRequestedV1, DossierFactsDigestV1
from kit import consistency, projection
from kit.service import Subscription
from services.dossier.service import OUTBOX, maintenance
from services.dossier.store import Tx, facts

OWNER = "dossier"


async def on_structure_changed(conn: asyncpg.Connection, envelope: Envelope[AuthStructureChangedV1]) -> None:
    e = envelope.payload
    await projection.upsert(conn, "structures", {"id": e.structure_id, "name": e.name}, conflict=["id"],
                            kind="structures", key=e.structure_id, version=e.updated_at, structure_id=e.structure_id)


async def on_family_changed(conn: asyncpg.Connection, envelope: Envelope[AuthFamilyChangedV1]) -> None:
    e = envelope.payload
    if not await projection.claim(conn, "families", e.family_id, projection.version_of(envelope, e.updated_at),
                                  e.structure_ids[0] if e.structure_ids else None):
        return
    tx = Tx(conn)
    await tx.save_family(e.family_id, e.identifiant, [g.model_dump(mode="json") for g in e.guardians])
    # shared custody: the child (and its sheets) stays under its first family, its second household beside it
    await tx.save_children([(c.child_id, c.households[0] if c.households else e.family_id, c.first_name,
                             c.last_name, c.birth_date, c.structure_id) for c in e.children])
    await tx.save_households([(c.child_id, c.households[1:]) for c in e.children])


async def resync(pool: asyncpg.Pool, family_id: uuid.UUID | None = None,
                 structure_id: uuid.UUID | None = None) -> dict[str, int]:
    """`python -m services.dossier resync [--family ID | --structure ID | --all]` and the ops route."""
    return await maintenance.resync(pool, OUTBOX, family_id, structure_id)


digest_on_request = consistency.digest_on_request(OWNER, DossierFactsDigestV1, facts.OWNED_FACTS,
                                                  facts.STRUCTURE_NAMES)
check_auth = consistency.verdict_on_digest(OWNER, "auth", facts.AUTH_FACTS, facts.STRUCTURE_NAMES)

SUBSCRIPTIONS = [
    Subscription(AuthStructureChangedV1, on_structure_changed),
    Subscription(AuthFamilyChangedV1, on_family_changed),
    Subscription(ConsistencyCheckRequestedV1, digest_on_request),
    Subscription(AuthFactsDigestV1, check_auth),
]
