"""The SQL of the people around a dossier: dossier's projection of auth's structures, families and
children (written by the subscriptions in events.py; the structures by kit.projection), the family's contacts, the insurers proposed to
every family, and the audit of staff reads of health data."""

from __future__ import annotations

import json
import uuid

import asyncpg

from .records import Child, Contact, HealthRead, Insurer


class PeopleQueries:
    conn: asyncpg.Connection

    # -- auth's facts, as dossier holds them ----------------------------------------------------------------
    async def family_ids(self) -> list[uuid.UUID]:
        return [r["id"] for r in await self.conn.fetch("SELECT id FROM families")]

    async def other_guardians(self, family_id: uuid.UUID) -> list[uuid.UUID]:
        """The family's other responsables (rank 2), who each have a sheet."""
        text = await self.conn.fetchval("SELECT guardians::text FROM families WHERE id = $1", family_id)
        return [g["guardian_id"] for g in json.loads(text or "[]") if g["rank"] == 2]

    async def children(self, family_id: uuid.UUID) -> list[Child]:
        """The family's children, eldest first (with those it shares with another household)."""
        rows = await self.conn.fetch("SELECT * FROM children WHERE family_id = $1 OR other_family_ids @> ARRAY[$1]::uuid[] "
                                     "ORDER BY birth_date", family_id)
        return [_child(r) for r in rows]

    async def child(self, child_id: uuid.UUID) -> Child | None:
        r = await self.conn.fetchrow("SELECT * FROM children WHERE id = $1", child_id)
        return _child(r) if r else None

    async def save_households(self, households: list[tuple[uuid.UUID, list[uuid.UUID]]]) -> None:
        """Shared custody: (child id, its other households) of each child."""
        await self.conn.executemany("UPDATE children SET other_family_ids = $2 WHERE id = $1", households)

    async def children_structures(self, family_id: uuid.UUID, child_id: uuid.UUID | None) -> set[uuid.UUID]:
        """The structure of one child of the family, or of all its children."""
        if child_id is not None:
            found = {await self.conn.fetchval("SELECT structure_id FROM children WHERE id = $1", child_id)}
        else:
            found = {r["structure_id"] for r in await self.conn.fetch(
                "SELECT structure_id FROM children WHERE family_id = $1", family_id)}
        return {s for s in found if s is not None}

    async def save_family(self, family_id: uuid.UUID, identifiant: str, guardians: list[dict]) -> None:
        await self.conn.execute(
            """INSERT INTO families (id, identifiant, guardians) VALUES ($1, $2, $3::jsonb)
               ON CONFLICT (id) DO UPDATE SET identifiant = $2, guardians = $3::jsonb""",
            family_id, identifiant, json.dumps(guardians))

    async def save_children(self, children: list[tuple]) -> None:
        """(id, family_id, first_name, last_name, birth_date, structure_id) of each child."""
        await self.conn.executemany(
            """INSERT INTO children (id, family_id, first_name, last_name, birth_date, structure_id)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (id) DO UPDATE SET family_id = $2, first_name = $3, last_name = $4, birth_date = $5,
                                              structure_id = $6""", children)

    # -- contacts -------------------------------------------------------------------------------------------
    @staticmethod
    def _contact(r: asyncpg.Record) -> Contact:
        return Contact(r["id"], r["family_id"], r["last_name"], r["first_name"], r["address"], r["phone"], r["email"])

    async def contacts(self, family_id: uuid.UUID) -> list[Contact]:
        rows = await self.conn.fetch("SELECT * FROM contacts WHERE family_id = $1 ORDER BY last_name, first_name",
                                     family_id)
        return [self._contact(r) for r in rows]

    async def contact(self, contact_id: uuid.UUID, family_id: uuid.UUID, lock: bool = False) -> Contact | None:
        r = await self.conn.fetchrow("SELECT * FROM contacts WHERE id = $1 AND family_id = $2"
                                     + (" FOR UPDATE" if lock else ""), contact_id, family_id)
        return self._contact(r) if r else None

    async def add_contact(self, contact: Contact) -> None:
        await self.conn.execute(
            "INSERT INTO contacts (id, family_id, last_name, first_name, address, phone, email) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)", contact.id, contact.family_id, contact.last_name,
            contact.first_name, contact.address, contact.phone, contact.email)

    async def update_contact(self, contact_id: uuid.UUID, address: str, phone: str, email: str) -> None:
        await self.conn.execute("UPDATE contacts SET address = $2, phone = $3, email = $4 WHERE id = $1",
                                contact_id, address, phone, email)

    async def delete_contact(self, contact_id: uuid.UUID) -> None:
        await self.conn.execute("DELETE FROM contacts WHERE id = $1", contact_id)

    # -- insurers ---------------------------------------------------------------------------------------------
    async def insurers(self) -> list[Insurer]:
        return [Insurer(r["id"], r["name"]) for r in await self.conn.fetch("SELECT id, name FROM insurers ORDER BY name")]

    async def add_insurer(self, name: str, address: str, phone: str) -> None:
        """A new insurer, unless one of that name is listed already."""
        await self.conn.execute("INSERT INTO insurers (id, name, address, phone) VALUES ($1, $2, $3, $4) "
                                "ON CONFLICT (name) DO NOTHING", uuid.uuid4(), name, address, phone)

    # -- the audit of health-data reads (ADR 0004) --------------------------------------------------------------
    async def record_health_read(self, reader: str, child_id: uuid.UUID | None, sheet_id: uuid.UUID) -> None:
        await self.conn.execute("INSERT INTO health_reads (reader, child_id, sheet_id) VALUES ($1, $2, $3)",
                                reader, child_id, sheet_id)

    async def health_reads(self, child_id: uuid.UUID) -> list[HealthRead]:
        rows = await self.conn.fetch("SELECT reader, sheet_id, read_at FROM health_reads WHERE child_id = $1 "
                                     "ORDER BY read_at", child_id)
        return [HealthRead(r["reader"], r["sheet_id"], r["read_at"]) for r in rows]


def _child(r: asyncpg.Record) -> Child:
    return Child(r["id"], r["family_id"], r["first_name"], r["last_name"], r["structure_id"],
                 tuple(r.get("other_family_ids") or ()))
