"""Demo data so that a newcomer running the portal can sign in and look around.

Accounts (each asks for a new password at first sign-in):
  family  DUPONT-0042       / Demo-Famille-2027
  staff   agent.carteville  / Demo-Agent-2027
  admin   admin.portail     / Demo-Admin-2027
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from services.auth import events
from services.auth.families import upsert_family
from services.auth.family_import import ImportedChild, ImportedFamily, ImportedGuardian
from services.auth.passwords import PasswordHasher

DEMO_STRUCTURE_ID = uuid.UUID("5f1c1d2e-0000-4000-8000-000000000001")
DEMO_SECOND_STRUCTURE_ID = uuid.UUID("5f1c1d2e-0000-4000-8000-000000000002")
DEMO_NEWS = (
    "<p>Bienvenue sur le Portail Famille de la Mairie de CarteVille.</p>"
    "<p>Les inscriptions pour les vacances d'hiver sont ouvertes jusqu'au 15 janvier.</p>"
)
DEMO_ACCOUNTS = (("DUPONT-0042", "Demo-Famille-2027"), ("agent.carteville", "Demo-Agent-2027"),
                 ("admin.portail", "Demo-Admin-2027"))


async def load(_settings, pool) -> None:
    hasher = PasswordHasher()
    async with pool.acquire() as conn, conn.transaction():
        for structure_id, name, news in ((DEMO_STRUCTURE_ID, "Mairie de CarteVille", DEMO_NEWS),
                                         (DEMO_SECOND_STRUCTURE_ID, "Accueil de loisirs du Bourg",
                                          "<p>L'accueil de loisirs est ouvert tous les mercredis.</p>")):
            created = await conn.fetchval(
                "INSERT INTO structures (id, name, news_html) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING "
                "RETURNING true", structure_id, name, news)
            if created:
                await events.structure_changed(conn, structure_id)
        await upsert_family(conn, hasher, ImportedFamily(
            identifiant="DUPONT-0042",
            guardians=(ImportedGuardian("Jean-Paul", "DUPONT", 1, "M."), ImportedGuardian("Marie", "DUPONT", 2)),
            emails=("jean-paul.dupont@example.fr", "marie.dupont@example.fr"),
            structure_id=DEMO_STRUCTURE_ID, initial_password="Demo-Famille-2027",
            children=(ImportedChild("Léa", "DUPONT", date(2018, 4, 12), DEMO_STRUCTURE_ID),
                      ImportedChild("Hugo", "DUPONT", date(2015, 9, 3), DEMO_SECOND_STRUCTURE_ID)),
            lines=()))
        for login, password, role, name, structures in (
                ("agent.carteville", "Demo-Agent-2027", "staff", "Agent de CarteVille", [DEMO_STRUCTURE_ID]),
                ("admin.portail", "Demo-Admin-2027", "admin", "Administrateur du portail", [])):
            account_id = uuid.uuid5(DEMO_STRUCTURE_ID, login)
            password_hash = await asyncio.to_thread(hasher.hash, password)
            created = await conn.fetchval(
                """INSERT INTO accounts (id, login, role, display_name, password_hash, must_change_password, emails)
                   VALUES ($1, $2, $3, $4, $5, true, $6) ON CONFLICT DO NOTHING RETURNING true""",
                account_id, login, role, name, password_hash, [f"{login}@example.fr"])
            if created:
                await conn.executemany("INSERT INTO staff_structures VALUES ($1, $2)",
                                       [(account_id, s) for s in structures])
                await events.account_created(conn, account_id, role, None, structures)
