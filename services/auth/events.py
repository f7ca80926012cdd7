"""auth's events, written to the outbox in the caller's transaction."""

from __future__ import annotations

import uuid

import asyncpg

from contracts import NotifySendV1
from contracts.auth import (
    AuthAccountCreatedV1,
    AuthFamilyChangedV1,
    AuthFamilyChangedV2,
    AuthFamilyContactsV1,
    AuthStructureChangedV1,
    Child,
    Guardian,
)
from kit import outbox

PRODUCER = "auth"


# A new version of a fact: later than the one before, even within one microsecond (the row lock orders
# concurrent changes), so that consumers keep the newest (kit/projection.py).
BUMP = "greatest(clock_timestamp(), {column} + interval '1 microsecond')"


async def family_changed(conn: asyncpg.Connection, family_id: uuid.UUID, *, snapshot: bool = False) -> None:
    """Publish the family's whole current state: with names and birth dates (internal), by identifiers
    only (public); and its e-mail addresses (internal). The family's version is raised first, unless this
    is a `snapshot` (a resync): the same facts with the same version."""
    if not snapshot:
        await conn.execute(f"UPDATE families SET updated_at = {BUMP.format(column='updated_at')} WHERE id = $1",
                           family_id)
    family = await conn.fetchrow("SELECT id, identifiant, structure_id, updated_at FROM families WHERE id = $1",
                                 family_id)
    guardians = await conn.fetch(
        "SELECT id, rank, first_name, last_name FROM guardians WHERE family_id = $1 ORDER BY rank", family_id)
    children = await conn.fetch(
        """SELECT id, first_name, last_name, birth_date, structure_id FROM children
           WHERE family_id = $1 ORDER BY birth_date, first_name""", family_id)
    structure_ids = list(dict.fromkeys([family["structure_id"], *(c["structure_id"] for c in children)]))
    private = AuthFamilyChangedV1(
        family_id=family_id, identifiant=family["identifiant"], structure_ids=structure_ids,
        guardians=[Guardian(guardian_id=g["id"], first_name=g["first_name"], last_name=g["last_name"],
                            rank=g["rank"]) for g in guardians],
        children=[Child(child_id=c["id"], first_name=c["first_name"], last_name=c["last_name"],
                        birth_date=c["birth_date"], structure_id=c["structure_id"]) for c in children],
        updated_at=family["updated_at"],
    )
    await outbox.add(conn, private, producer=PRODUCER)
    await outbox.add(conn, AuthFamilyChangedV2.of(private), producer=PRODUCER)
    await family_contacts(conn, family_id, snapshot=snapshot)


async def family_contacts(conn: asyncpg.Connection, family_id: uuid.UUID, *, snapshot: bool = False) -> None:
    """The family's addresses (internal); their version is raised first unless this is a `snapshot`."""
    if not snapshot:
        await conn.execute(f"UPDATE accounts SET contacts_updated_at = {BUMP.format(column='contacts_updated_at')} "
                           "WHERE family_id = $1", family_id)
    account = await conn.fetchrow("SELECT id, emails, display_name, contacts_updated_at FROM accounts "
                                  "WHERE family_id = $1", family_id)
    if account is None:
        return
    await outbox.add(conn, AuthFamilyContactsV1(
        family_id=family_id, account_id=account["id"], emails=list(account["emails"]),
        greeting=account["display_name"], updated_at=account["contacts_updated_at"]), producer=PRODUCER)


async def account_created(conn: asyncpg.Connection, account_id: uuid.UUID, role: str,
                          family_id: uuid.UUID | None, structure_ids: list[uuid.UUID]) -> None:
    await outbox.add(conn, AuthAccountCreatedV1(account_id=account_id, role=role, family_id=family_id,
                                                structure_ids=structure_ids), producer=PRODUCER)


async def structure_changed(conn: asyncpg.Connection, structure_id: uuid.UUID) -> None:
    row = await conn.fetchrow("SELECT id, name, updated_at FROM structures WHERE id = $1", structure_id)
    await outbox.add(conn, AuthStructureChangedV1(structure_id=row["id"], name=row["name"],
                                                  updated_at=row["updated_at"]), producer=PRODUCER)


async def emails_changed_notice(conn: asyncpg.Connection, previous_first: str, login: str,
                                family_id: uuid.UUID | None) -> None:
    """Tell the account's previous first address that its addresses changed (notify's "message" template)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    when = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris"))
    await outbox.add(conn, NotifySendV1(
        to=[previous_first], template="message", family_id=family_id,
        params={
            "objet": "Portail Famille : vos adresses courriel ont été modifiées",
            "texte": (
                "Bonjour,\n\n"
                f"Les adresses courriel du compte « {login} » du Portail Famille ont été modifiées le "
                f"{when:%d/%m/%Y à %H:%M} (heure de Paris). C'est à ces adresses que le portail envoie les liens "
                "de réinitialisation du mot de passe et les tickets de paiement.\n\n"
                "Si vous êtes à l'origine de cette modification, vous n'avez rien à faire.\n"
                "Sinon, changez sans attendre votre mot de passe (page « Profil » du portail) et vérifiez vos "
                "adresses ; si vous ne pouvez plus vous connecter, prévenez votre collectivité."),
        }), producer=PRODUCER)
