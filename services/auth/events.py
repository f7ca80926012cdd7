"""What auth publishes and what it consumes.

Publishes, through its outbox (`PRODUCER`) in the transaction of each change (service/facts.py):
auth.structure_changed, auth.family_changed (v1 internal with names, v2 public by identifiers),
auth.family_contacts and auth.account_created, and notify.send commands (reset links, the notice of
changed addresses). Consumes: consistency.check_requested, answered with the digest of its facts; and
republishes its facts on demand (the resync: the internal route and `python -m services.auth resync`)."""

from __future__ import annotations

import uuid

import asyncpg
from aiohttp import web

from contracts.consistency import AuthFactsDigestV1, ConsistencyCheckRequestedV1
from kit import consistency
from kit.outbox import Producer
from kit.service import Subscription, pool_of
from services.auth.service import resync as resync_script
from services.auth.store import Store
from services.auth.store.families import FACT_QUERIES, STRUCTURE_NAMES

OWNER = "auth"
PRODUCER = Producer(OWNER)

digest_on_request = consistency.digest_on_request(OWNER, AuthFactsDigestV1, FACT_QUERIES, STRUCTURE_NAMES)
SUBSCRIPTIONS = [Subscription(ConsistencyCheckRequestedV1, digest_on_request)]


async def resync(pool: asyncpg.Pool, family_id: uuid.UUID | None = None,
                 structure_id: uuid.UUID | None = None) -> dict[str, int]:
    """Republish the current facts — one family, one structure (itself and its families), or everything."""
    return await resync_script.resync(Store(pool), PRODUCER, family_id, structure_id)


def owner_routes(app: web.Application) -> None:
    """The administrators' resync and facts-digest routes (kit/consistency.py)."""
    consistency.owner_routes(app, pool_of, OWNER, AuthFactsDigestV1, FACT_QUERIES, STRUCTURE_NAMES, resync)
