"""The SQL of the automatic reminders: a family's choice to receive them, and the reminders already mailed
(one per family and reason, by their primary key)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

__all__ = ["claim_reminder", "reminders_off", "set_reminders_off"]


async def reminders_off(conn: asyncpg.Connection, family_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT reminders_off FROM reminder_preferences WHERE family_id = $1",
                                    family_id))


async def set_reminders_off(conn: asyncpg.Connection, family_id: uuid.UUID, off: bool, when: datetime) -> None:
    await conn.execute(
        """INSERT INTO reminder_preferences (family_id, reminders_off, updated_at) VALUES ($1, $2, $3)
           ON CONFLICT (family_id) DO UPDATE SET reminders_off = $2, updated_at = $3""", family_id, off, when)


async def claim_reminder(conn: asyncpg.Connection, family_id: uuid.UUID, reason_key: str, template: str,
                         when: datetime) -> bool:
    """False when the family was already reminded for this reason (by this run or an earlier one)."""
    return bool(await conn.fetchval(
        """INSERT INTO reminders_sent (family_id, reason_key, template, sent_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING RETURNING true""", family_id, reason_key, template, when))
