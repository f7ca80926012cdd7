"""Demo data so that a newcomer running the portal can sign in and look around
(`python -m services.auth demo`).

Accounts (each asks for a new password at first sign-in):
  family  DUPONT-0042       / Demo-Famille-2027
  staff   agent.carteville  / Demo-Agent-2027
  admin   admin.portail     / Demo-Admin-2027
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from services.auth.domain.families import ImportedChild, ImportedFamily, ImportedGuardian
from services.auth.events import PRODUCER
from services.auth.hashing import PasswordHasher
from services.auth.service import facts as publish
from services.auth.service.families import upsert_family
from services.auth.store import Store
from services.auth.store.accounts import NewAccount

DEMO_STRUCTURE_ID = uuid.UUID("5f1c1d2e-0000-4000-8000-000000000001")
DEMO_SECOND_STRUCTURE_ID = uuid.UUID("5f1c1d2e-0000-4000-8000-000000000002")
DEMO_NEWS = (
    "<p>Bienvenue sur le Portail Famille de la Mairie de CarteVille.</p>"
    "<p>Les inscriptions pour les vacances d'hiver sont ouvertes jusqu'au 15 janvier.</p>"
)
DEMO_ACCOUNTS = (("DUPONT-0042", "Demo-Famille-2027"), ("agent.carteville", "Demo-Agent-2027"),
                 ("admin.portail", "Demo-Admin-2027"))
# More families of CarteVille, so that staff see a campaign, dossiers to review and a families list alive
# (services/dossier/demo.py puts each dossier at a state); no published password: staff pages only. Loaded
# by `make run` only (`demo-history`, once the services run), not by the tests' portals.
# identifiant, responsable (first name, last name, civility), child (first name, birth date)
OTHER_FAMILIES = (("MARTIN-0101", ("Sophie", "MARTIN", "Mme"), ("Chloé", date(2017, 2, 8))),
                  ("BERNARD-0102", ("Karim", "BERNARD", "M."), ("Inès", date(2019, 6, 21))),
                  ("PETIT-0103", ("Julie", "PETIT", "Mme"), ("Noah", date(2016, 11, 30))),
                  ("ROBERT-0104", ("Thomas", "ROBERT", "M."), ("Emma", date(2018, 1, 17))))


async def load(_settings, pool) -> None:
    hasher = PasswordHasher()
    store = Store(pool)
    async with store.transaction() as conn:
        for structure_id, name, news in ((DEMO_STRUCTURE_ID, "Mairie de CarteVille", DEMO_NEWS),
                                         (DEMO_SECOND_STRUCTURE_ID, "Accueil de loisirs du Bourg",
                                          "<p>L'accueil de loisirs est ouvert tous les mercredis.</p>")):
            if await store.insert_structure(conn, structure_id, name, news, if_new=True):
                await publish.structure_changed(conn, store, PRODUCER, structure_id)
        await upsert_family(conn, store, PRODUCER, hasher, ImportedFamily(
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
            account = NewAccount(account_id, login, role, name, password_hash, (f"{login}@example.fr",))
            if await store.insert_account(conn, account, if_new=True):
                await store.insert_staff_structures(conn, account_id, structures)
                await publish.account_created(conn, PRODUCER, account_id, role, None, structures)


async def load_other_families(_settings, pool) -> None:
    """`make run`'s other families of CarteVille (OTHER_FAMILIES); a family already there is left as it is."""
    hasher = PasswordHasher()
    store = Store(pool)
    async with store.transaction() as conn:
        for identifiant, (first_name, last_name, civility), (child, born) in OTHER_FAMILIES:
            await upsert_family(conn, store, PRODUCER, hasher, ImportedFamily(
                identifiant=identifiant, guardians=(ImportedGuardian(first_name, last_name, 1, civility),),
                emails=(f"{first_name.lower()}.{last_name.lower()}@example.fr",), structure_id=DEMO_STRUCTURE_ID,
                initial_password=None, children=(ImportedChild(child, last_name, born, DEMO_STRUCTURE_ID),), lines=()))
