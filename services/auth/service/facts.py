"""What auth publishes, in the caller's transaction: a family's whole current state (internal with names,
public by identifiers), its contacts, a structure, a new account, the notice of changed addresses."""

from __future__ import annotations

import uuid
from datetime import datetime

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
from kit.clock import PARIS
from kit.outbox import Producer


async def family_changed(conn, store, producer: Producer, family_id: uuid.UUID, *, snapshot: bool = False) -> None:
    """Publish the family's whole current state: with names and birth dates (internal), by identifiers
    only (public); and its e-mail addresses (internal). The family's version is raised first, unless this
    is a `snapshot` (a resync): the same facts with the same version."""
    if not snapshot:
        await store.bump_family_version(conn, family_id)
    family = await store.family(conn, family_id)
    guardians = await store.guardians(conn, family_id)
    children = await store.children(conn, family_id)
    structure_ids = list(dict.fromkeys([family.structure_id, *(c.structure_id for c in children)]))
    private = AuthFamilyChangedV1(
        family_id=family_id, identifiant=family.identifiant, structure_ids=structure_ids,
        guardians=[Guardian(guardian_id=g.id, first_name=g.first_name, last_name=g.last_name, rank=g.rank)
                   for g in guardians],
        children=[Child(child_id=c.id, first_name=c.first_name, last_name=c.last_name, birth_date=c.birth_date,
                        structure_id=c.structure_id, households=list(c.households)) for c in children],
        updated_at=family.updated_at,
    )
    await producer.add(conn, private)
    await producer.add(conn, AuthFamilyChangedV2.of(private))
    await family_contacts(conn, store, producer, family_id, snapshot=snapshot)


async def family_contacts(conn, store, producer: Producer, family_id: uuid.UUID, *, snapshot: bool = False) -> None:
    """The family's addresses (internal); their version is raised first unless this is a `snapshot`."""
    if not snapshot:
        await store.bump_contacts_version(conn, family_id)
    contacts = await store.family_contacts(conn, family_id)
    if contacts is None:
        return
    await producer.add(conn, AuthFamilyContactsV1(
        family_id=family_id, account_id=contacts.account_id, emails=list(contacts.emails),
        greeting=contacts.greeting, updated_at=contacts.updated_at))


async def account_created(conn, producer: Producer, account_id: uuid.UUID, role: str,
                          family_id: uuid.UUID | None, structure_ids: list[uuid.UUID]) -> None:
    await producer.add(conn, AuthAccountCreatedV1(account_id=account_id, role=role, family_id=family_id,
                                                  structure_ids=structure_ids))


async def structure_changed(conn, store, producer: Producer, structure_id: uuid.UUID) -> None:
    found = await store.structure(conn, structure_id)
    await producer.add(conn, AuthStructureChangedV1(structure_id=found.id, name=found.name,
                                                    updated_at=found.updated_at))


async def emails_changed_notice(conn, producer: Producer, previous_first: str, login: str,
                                family_id: uuid.UUID | None, now: datetime) -> None:
    """Tell the account's previous first address that its addresses changed (notify's "message" template)."""
    when = now.astimezone(PARIS)
    await producer.add(conn, NotifySendV1(
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
        }))
