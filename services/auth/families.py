"""Families are provided by the collectivité: created one by one or imported from a CSV export.
Creating the same family again adds what is new and creates nothing twice."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
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


def taken(identifiant: str) -> str:
    """The one refusal for an identifiant already in use, whoever uses it (another structure's family, a
    staff account): it says nothing about that account, not even which kind it is."""
    return f"l'identifiant « {identifiant} » est déjà utilisé par un autre compte"


async def upsert_family(conn: asyncpg.Connection, hasher: PasswordHasher, family: ImportedFamily,
                        may_manage: Callable[[uuid.UUID], bool] | None = None) -> FamilyOutcome:
    """In the caller's transaction. New family: family, members, parent account, events. Known family
    (same identifiant): only children not yet known are added, and only when the caller manages the
    family's own structure (`may_manage`; None for the portal itself, e.g. demo data): staff never
    reach another structure's family by reusing its identifiant (ValueError, as for a taken login)."""
    found = await conn.fetchrow("SELECT id, structure_id FROM families WHERE lower(identifiant) = lower($1)",
                                family.identifiant)
    if found is not None:
        if may_manage is not None and not may_manage(found["structure_id"]):
            raise ValueError(taken(family.identifiant))
        existing = found["id"]
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
        raise ValueError(taken(family.identifiant))
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


async def import_families(pool: asyncpg.Pool, hasher: PasswordHasher, parsed: ParsedImport,
                          may_manage: Callable[[uuid.UUID], bool] | None = None) -> ImportReport:
    """Each family in its own transaction: one bad family never blocks the others."""
    report = ImportReport(rejected=[{"ligne": r.line, "identifiant": r.identifiant, "motif": r.reason}
                                    for r in parsed.rejected])
    for family in parsed.families:
        try:
            async with pool.acquire() as conn, conn.transaction():
                outcome = await upsert_family(conn, hasher, family, may_manage)
        except asyncpg.UniqueViolationError:  # created at the same moment by someone else
            reason = taken(family.identifiant)
        except ValueError as exc:
            reason = str(exc)
        else:
            reason = None
        if reason is not None:
            report.rejected.extend({"ligne": line, "identifiant": family.identifiant, "motif": reason}
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
