"""Families are provided by the collectivité: created one by one or imported from a CSV export.
Creating the same family again adds what is new and creates nothing twice."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

import asyncpg

from services.auth import events
from services.auth.family_import import ImportedFamily, ParsedImport
from services.auth.passwords import PasswordHasher, generate_initial_password


@dataclass
class FamilyOutcome:
    identifiant: str
    family_id: uuid.UUID
    created: bool
    children_added: int = 0
    initial_password: str | None = None  # only when we generated it, shown once to staff


@dataclass
class ImportReport:
    created: list[FamilyOutcome] = field(default_factory=list)
    updated: list[FamilyOutcome] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)


def display_name(family: ImportedFamily) -> str:
    first = next((g for g in family.guardians if g.rank == 1), family.guardians[0])
    return " ".join(p for p in (first.civility, first.last_name.upper(), first.first_name) if p)


async def upsert_family(conn: asyncpg.Connection, hasher: PasswordHasher, family: ImportedFamily) -> FamilyOutcome:
    """In the caller's transaction. New family: family, members, parent account, events. Known family
    (same identifiant): only children not yet known are added."""
    existing = await conn.fetchval("SELECT id FROM families WHERE lower(identifiant) = lower($1)", family.identifiant)
    if existing is not None:
        added = 0
        for child in family.children:
            inserted = await conn.fetchval(
                """INSERT INTO children (id, family_id, first_name, last_name, birth_date, structure_id)
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true""",
                uuid.uuid4(), existing, child.first_name, child.last_name, child.birth_date, child.structure_id)
            added += bool(inserted)
        if added:
            await conn.execute("UPDATE families SET updated_at = now() WHERE id = $1", existing)
            await events.family_changed(conn, existing)
        return FamilyOutcome(family.identifiant, existing, created=False, children_added=added)

    login_taken = await conn.fetchval("SELECT 1 FROM accounts WHERE lower(login) = lower($1)", family.identifiant)
    if login_taken:
        raise ValueError(f"l'identifiant « {family.identifiant} » est déjà utilisé par un autre compte")
    family_id, account_id = uuid.uuid4(), uuid.uuid4()
    password = family.initial_password or generate_initial_password()
    password_hash = await asyncio.to_thread(hasher.hash, password)
    await conn.execute("INSERT INTO families (id, identifiant, structure_id) VALUES ($1, $2, $3)",
                       family_id, family.identifiant, family.structure_id)
    await conn.executemany(
        "INSERT INTO guardians (id, family_id, rank, first_name, last_name) VALUES ($1, $2, $3, $4, $5)",
        [(uuid.uuid4(), family_id, g.rank, g.first_name, g.last_name) for g in family.guardians])
    await conn.executemany(
        """INSERT INTO children (id, family_id, first_name, last_name, birth_date, structure_id)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
        [(uuid.uuid4(), family_id, c.first_name, c.last_name, c.birth_date, c.structure_id) for c in family.children])
    await conn.execute(
        """INSERT INTO accounts (id, login, role, family_id, display_name, password_hash, must_change_password, emails)
           VALUES ($1, $2, 'parent', $3, $4, $5, true, $6)""",
        account_id, family.identifiant, family_id, display_name(family), password_hash, list(family.emails))
    await events.account_created(conn, account_id, "parent", family_id, [])
    await events.family_changed(conn, family_id)
    return FamilyOutcome(family.identifiant, family_id, created=True, children_added=len(family.children),
                         initial_password=None if family.initial_password else password)


async def import_families(pool: asyncpg.Pool, hasher: PasswordHasher, parsed: ParsedImport) -> ImportReport:
    """Each family in its own transaction: one bad family never blocks the others."""
    report = ImportReport(rejected=[{"ligne": r.line, "identifiant": r.identifiant, "motif": r.reason}
                                    for r in parsed.rejected])
    for family in parsed.families:
        try:
            async with pool.acquire() as conn, conn.transaction():
                outcome = await upsert_family(conn, hasher, family)
        except ValueError as exc:
            report.rejected.extend({"ligne": line, "identifiant": family.identifiant, "motif": str(exc)}
                                   for line in family.lines)
            continue
        if outcome.created:
            report.created.append(outcome)
        elif outcome.children_added:
            report.updated.append(outcome)
        else:
            report.unchanged.append(family.identifiant)
    report.rejected.sort(key=lambda r: r["ligne"])
    return report
