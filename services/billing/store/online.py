"""The SQL of online payment: each structure's payment backend and options, and the online transactions
(one per online payment started) with the state their backend reported."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.billing.domain.online import BackendConfig, OnlineTransaction

_TRANSACTION = """SELECT payment_id, structure_id, family_id, backend, transaction_id, amount_cents, invoice_number,
                         state, bank_status, notifications, created_at, updated_at FROM online_transactions"""


class OnlineQueries:
    conn: asyncpg.Connection

    async def backend_config(self, structure_id: uuid.UUID) -> BackendConfig | None:
        row = await self.conn.fetchrow("SELECT backend, options FROM payment_backends WHERE structure_id = $1",
                                       structure_id)
        return BackendConfig(structure_id, row["backend"], json.loads(row["options"])) if row else None

    async def save_backend_config(self, config: BackendConfig, by: str, when: datetime) -> None:
        await self.conn.execute(
            """INSERT INTO payment_backends (structure_id, backend, options, updated_at, updated_by)
               VALUES ($1, $2, $3::jsonb, $4, $5)
               ON CONFLICT (structure_id) DO UPDATE SET backend = EXCLUDED.backend, options = EXCLUDED.options,
                   updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by""",
            config.structure_id, config.backend, json.dumps(dict(config.options)), when, by)

    async def insert_online_transaction(self, t: OnlineTransaction) -> None:
        await self.conn.execute(
            """INSERT INTO online_transactions (payment_id, structure_id, family_id, backend, transaction_id,
                   amount_cents, invoice_number, state, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)""",
            t.payment_id, t.structure_id, t.family_id, t.backend, t.transaction_id, t.amount_cents, t.invoice_number,
            t.state, t.created_at)

    async def online_transaction_for_update(self, backend: str, keys: Sequence[str]) -> OnlineTransaction | None:
        """The transaction one of `keys` names (request()'s identifier), locked."""
        row = await self.conn.fetchrow(f"{_TRANSACTION} WHERE backend = $1 AND transaction_id = ANY($2::text[]) "
                                       "FOR UPDATE", backend, list(keys))
        return OnlineTransaction(**row) if row else None

    async def online_transaction_of_payment(self, payment_id: uuid.UUID) -> OnlineTransaction | None:
        row = await self.conn.fetchrow(f"{_TRANSACTION} WHERE payment_id = $1 FOR UPDATE", payment_id)
        return OnlineTransaction(**row) if row else None

    async def set_online_state(self, payment_id: uuid.UUID, state: str, bank_status: str, when: datetime,
                               notified: bool) -> None:
        await self.conn.execute(
            """UPDATE online_transactions SET state = $2, bank_status = $3, updated_at = $4,
                   notifications = notifications + $5 WHERE payment_id = $1""",
            payment_id, state, bank_status[:200], when, 1 if notified else 0)

    async def online_transactions_of_structures(self, structures: Sequence[uuid.UUID] | None,
                                                limit: int) -> list[OnlineTransaction]:
        """The latest online transactions of these structures (None: all of them)."""
        rows = await self.conn.fetch(f"{_TRANSACTION} WHERE $1::uuid[] IS NULL OR structure_id = ANY($1::uuid[]) "
                                     "ORDER BY created_at DESC LIMIT $2",
                                     None if structures is None else list(structures), limit)
        return [OnlineTransaction(**r) for r in rows]

    async def online_transactions_of_family(self, family_id: uuid.UUID, limit: int) -> list[OnlineTransaction]:
        rows = await self.conn.fetch(f"{_TRANSACTION} WHERE family_id = $1 ORDER BY created_at DESC LIMIT $2",
                                     family_id, limit)
        return [OnlineTransaction(**r) for r in rows]

    async def pending_online_transactions(self, before: datetime, limit: int) -> list[OnlineTransaction]:
        rows = await self.conn.fetch(f"{_TRANSACTION} WHERE state = 'pending' AND created_at <= $1 "
                                     "ORDER BY created_at LIMIT $2", before, limit)
        return [OnlineTransaction(**r) for r in rows]
