"""Families are provided by the collectivité: created one by one or imported from a CSV export.
Creating the same family again adds what is new and creates nothing twice; a family of another structure
is never reached by reusing its identifiant. Staff also see a family and ask for its security update."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from contracts.errors import NotFound
from kit.identity import Identity
from kit.outbox import Producer
from services.auth import access
from services.auth.domain import emails as addresses_rule
from services.auth.domain.families import (
    ImportedFamily,
    display_name,
    initial_password_errors,
    sentence,
    structures_of,
    taken,
)
from services.auth.domain.family_csv import ParsedImport
from services.auth.domain.passwords import generate_initial_password
from services.auth.service import Refused
from services.auth.service import facts as publish
from services.auth.store.accounts import AlreadyExists, NewAccount


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


class IdentifiantTaken(Exception):
    """The identifiant is another account's (the message is the one refusal, domain.families.taken)."""


async def upsert_family(conn, store, producer: Producer, hasher, family: ImportedFamily,
                        may_manage: Callable[[uuid.UUID], bool] | None = None) -> FamilyOutcome:
    """In the caller's transaction. New family: family, members, parent account, events. Known family
    (same identifiant): only children not yet known are added, and only when the caller manages the
    family's own structure (`may_manage`; None for the portal itself, e.g. demo data): staff never
    reach another structure's family by reusing its identifiant (IdentifiantTaken, as for a taken login)."""
    found = await store.family_by_identifiant(conn, family.identifiant)
    if found is not None:
        if may_manage is not None and not may_manage(found.structure_id):
            raise IdentifiantTaken(taken(family.identifiant))
        added = 0
        for child in family.children:
            added += await store.add_child_if_new(conn, found.id, child)
        if added:
            await store.touch_family(conn, found.id)
            await publish.family_changed(conn, store, producer, found.id)
        return FamilyOutcome(family.identifiant, found.id, created=False, children_added=added)

    if await store.login_taken(conn, family.identifiant):
        raise IdentifiantTaken(taken(family.identifiant))
    family_id, account_id = uuid.uuid4(), uuid.uuid4()
    password = family.initial_password or generate_initial_password()
    password_hash = await asyncio.to_thread(hasher.hash, password)
    await store.insert_family(conn, family_id, family.identifiant, family.structure_id)
    await store.insert_guardians(conn, family_id, family.guardians)
    await store.insert_children(conn, family_id, family.children)
    await store.insert_account(conn, NewAccount(account_id, family.identifiant, "parent", display_name(family),
                                                password_hash, family.emails, family_id))
    await publish.account_created(conn, producer, account_id, "parent", family_id, [])
    await publish.family_changed(conn, store, producer, family_id)
    return FamilyOutcome(family.identifiant, family_id, created=True, children_added=len(family.children),
                         initial_password=None if family.initial_password else password)


async def create_family(store, producer: Producer, hasher, who: Identity, family: ImportedFamily) -> FamilyOutcome:
    """One family typed by staff (its addresses as typed): created, or (a family of the caller's own
    structure) completed with its new children; refused when the caller does not manage its structures or
    its children's, when an address or the initial password is not acceptable, when the identifiant is
    another account's."""
    access.manage_structures(who, structures_of(family))
    emails, errors = addresses_rule.normalized(family.emails)
    errors += initial_password_errors(family.initial_password)
    if errors:
        raise Refused(422, "Famille refusée", " ".join(errors), messages=errors)
    family = dataclasses.replace(family, emails=tuple(emails))
    try:
        async with store.transaction() as conn:
            if await store.structure(conn, family.structure_id) is None:
                raise Refused(422, "Données invalides", "Structure inconnue.")
            outcome = await upsert_family(conn, store, producer, hasher, family, who.may_manage_structure)
    except AlreadyExists:  # created at the same moment by someone else
        raise Refused(409, "Conflit", sentence(taken(family.identifiant))) from None
    except IdentifiantTaken as exc:
        raise Refused(409, "Conflit", sentence(str(exc))) from None
    if not outcome.created:  # a family of the caller's own structure: what was new is added, no id told
        raise Refused(409, "Conflit", f"La famille « {family.identifiant} » existe déjà.",
                      children_added=outcome.children_added)
    return outcome


async def import_families(store, producer: Producer, hasher, parsed: ParsedImport,
                          may_manage: Callable[[uuid.UUID], bool] | None = None) -> ImportReport:
    """Each family in its own transaction: one bad family never blocks the others."""
    report = ImportReport(rejected=[{"ligne": r.line, "identifiant": r.identifiant, "motif": r.reason}
                                    for r in parsed.rejected])
    for family in parsed.families:
        try:
            async with store.transaction() as conn:
                outcome = await upsert_family(conn, store, producer, hasher, family, may_manage)
        except AlreadyExists:  # created at the same moment by someone else
            reason = taken(family.identifiant)
        except IdentifiantTaken as exc:
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


async def structure_names(store) -> dict[str, uuid.UUID]:
    """Every structure by name: what an import file may name."""
    async with store.connection() as conn:
        return {s.name: s.id for s in await store.all_structures(conn)}


async def family_view(store, who: Identity, family_id: uuid.UUID) -> dict:
    """The family, its guardians and children, for whoever may see it; NotFound for anyone else."""
    async with store.connection() as conn:
        family = await store.family(conn, family_id)
        children = await store.children(conn, family_id)
        guardians = await store.guardians(conn, family_id)
    # Another family's data does not exist for a parent; staff see only their structures' families.
    structures = {family.structure_id, *(c.structure_id for c in children)} if family else set()
    if family is None or not access.may_see_family(who, family_id, structures):
        raise NotFound("Famille introuvable.")
    return {
        "id": str(family.id), "identifiant": family.identifiant, "structure_id": str(family.structure_id),
        "guardians": [{"id": str(g.id), "rank": g.rank, "first_name": g.first_name, "last_name": g.last_name}
                      for g in guardians],
        "children": [{"id": str(c.id), "first_name": c.first_name, "last_name": c.last_name,
                      "birth_date": c.birth_date.isoformat(), "structure_id": str(c.structure_id)}
                     for c in children],
    }


async def require_security_update(store, who: Identity, family_id: uuid.UUID) -> None:
    """Staff flag an account: at its next sign-in the parent must choose a new password."""
    async with store.transaction() as conn:
        structures = await store.family_structures(conn, family_id)
        if not structures or not access.may_flag_family(who, structures):
            raise NotFound("Famille introuvable.")
        await store.require_password_change(conn, family_id)
