"""An account's own settings and staff accounts: the addresses (changed only with the current password,
the previous first address told), the consents to the legal texts, a new staff account."""

from __future__ import annotations

import asyncio
import uuid

from contracts.errors import NotFound
from kit.clock import Clock, utc_now
from kit.outbox import Producer
from services.auth.domain import emails as addresses_rule
from services.auth.domain import policy
from services.auth.domain.passwords import generate_initial_password
from services.auth.service import Refused
from services.auth.service import facts as publish
from services.auth.service.sign_in import check_current_password
from services.auth.store.accounts import AlreadyExists, NewAccount


async def update_emails(store, producer: Producer, hasher, account_id: uuid.UUID, raw: str, password: str,
                        clock: Clock = utc_now) -> list[str]:
    """Where reset links and tickets go: changed only with the current password, and the previous first
    address is told (a stolen session cannot quietly divert the account's mail)."""
    addresses, errors = addresses_rule.normalized(policy.split_emails(raw))
    errors += addresses_rule.profile_errors(addresses, password)
    if errors:
        raise Refused(422, "Adresses refusées", " ".join(errors), messages=errors)
    await check_current_password(store, hasher, account_id, password, clock)
    async with store.transaction() as conn:
        before = await store.account_for_update(conn, account_id)
        if before is None:
            raise NotFound("Compte introuvable.")
        await store.set_emails(conn, account_id, addresses)
        if addresses_rule.changed(list(before.emails), addresses):
            await publish.emails_changed_notice(conn, producer, before.emails[0], before.login, before.family_id,
                                                clock())
        if before.family_id is not None:
            await publish.family_contacts(conn, store, producer, before.family_id)
    return addresses


async def accept_consents(store, account_id: uuid.UUID, accepted: list[str]) -> None:
    """Every pending text must be accepted at once; refused with their titles otherwise."""
    async with store.transaction() as conn:
        pending = await store.pending_consents(conn, account_id)
        missing = [p.title for p in pending if p.kind not in accepted]
        if missing:
            raise Refused(422, "Consentement requis",
                          "Vous devez cocher les cases indiquant que vous avez pris connaissance de : "
                          + " ; ".join(missing) + ".")
        await store.insert_consents(conn, account_id, pending)


async def create_staff(store, producer: Producer, hasher, login: str, display_name: str, email: str, role: str,
                       structure_ids: list[uuid.UUID]) -> tuple[uuid.UUID, str]:
    """A staff (or administrator) account with a generated initial password, shown once: (id, password)."""
    normalized = addresses_rule.single(email)
    if normalized is None:
        raise Refused(422, "Données invalides", f"Adresse courriel invalide : « {email} »")
    password = generate_initial_password()
    password_hash = await asyncio.to_thread(hasher.hash, password)
    account_id = uuid.uuid4()
    taken = Refused(409, "Conflit", f"L'identifiant « {login} » est déjà utilisé.")
    try:
        async with store.transaction() as conn:
            if await store.login_taken(conn, login):
                raise taken
            if await store.known_structures(conn, structure_ids) != set(structure_ids):
                raise Refused(422, "Données invalides", "Structure inconnue.")
            await store.insert_account(conn, NewAccount(account_id, login, role, display_name, password_hash,
                                                        (normalized,)))
            await store.insert_staff_structures(conn, account_id, structure_ids)
            await publish.account_created(conn, producer, account_id, role, None, structure_ids)
    except AlreadyExists:  # created at the same moment by someone else
        raise taken from None
    return account_id, password
