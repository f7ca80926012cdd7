"""Sign-in and sessions: a throttled password check, a new session, the account behind a session token,
signing out, choosing the structure shown."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from contracts.errors import Forbidden
from kit.clock import Clock, utc_now
from services.auth.domain import policy
from services.auth.domain.policy import Blocked, LoginRefused, ThrottleRule
from services.auth.service import password_refused


@dataclass(frozen=True)
class LoginOk:
    session_token: str


async def count_attempt(store, keys: list[tuple[str, ThrottleRule]], now) -> Blocked | list[policy.ThrottleState]:
    """Count a password check as a failure BEFORE it is made, in one short transaction that locks the
    keys' rows: of N guesses sent at once, no more than each rule allows ever reach the password check
    (the others find the block the earlier ones set). A success then forgets the count.
    Returns the block in force (nothing counted), or each key's state once this attempt is counted."""
    async with store.transaction() as conn:
        states = {}
        for key, _rule in sorted(keys, key=lambda k: k[0]):  # one lock order: no deadlock between attempts
            states[key] = await store.lock_throttle(conn, key)
        block = policy.block_in_force(list(states.values()), now)
        if block is not None:
            return block
        after = [policy.after_failure(states[key], rule, now) for key, rule in keys]
        await store.save_throttle(conn, [(key, state) for (key, _rule), state in zip(keys, after, strict=True)], now)
        return after


async def forget(store, keys: list[tuple[str, ThrottleRule]]) -> None:
    async with store.transaction() as conn:
        await store.forget_throttle(conn, [key for key, _rule in keys])


async def login(store, hasher, login: str, password: str, address: str | None,
                clock: Clock = utc_now) -> LoginOk | LoginRefused:
    now = clock()
    # Throttled by the identifiant typed, known or not: an attacker learns nothing from being slowed.
    keys = [(policy.throttle_key(login), policy.ACCOUNT_RULE)]
    if address:
        keys.append((policy.address_key(address), policy.ADDRESS_RULE))
    counted = await count_attempt(store, keys, now)
    if isinstance(counted, Blocked):
        return LoginRefused(policy.retry_message(counted.until), counted.until)
    async with store.connection() as conn:
        account = await store.account_by_login_key(conn, policy.login_key(login))
    if account is None:
        await asyncio.to_thread(hasher.dummy_verify, password)  # same cost as a real check
        ok = False
    else:
        ok = await asyncio.to_thread(hasher.verify, account.password_hash, password)
    if not ok:
        return policy.refused_after(counted, now, policy.GENERIC_LOGIN_FAILURE)
    new_hash = await asyncio.to_thread(hasher.hash, password) if hasher.needs_rehash(account.password_hash) else None
    async with store.transaction() as conn:
        await store.forget_throttle(conn, [key for key, _rule in keys])
        if new_hash is not None:
            await store.set_password_hash(conn, account.id, new_hash)
        return LoginOk(await create_session(conn, store, account.id, address))


async def create_session(conn, store, account_id: uuid.UUID, address: str | None) -> str:
    """A brand-new session id at every sign-in (no fixation)."""
    token = policy.new_token()
    structures = await store.account_structures(conn, account_id)
    await store.insert_session(conn, policy.token_hash(token), account_id, policy.new_token(),
                               structures[0].id if structures else None, address)
    return token


async def check_current_password(store, hasher, account_id: uuid.UUID, password: str,
                                 clock: Clock = utc_now) -> None:
    """What a signed-in account confirms a sensitive change with, throttled as sign-in is and with the
    same count (a stolen session gives no more guesses than the sign-in page does)."""
    async with store.connection() as conn:
        account = await store.account_secret(conn, account_id)
    if account is None:
        raise password_refused(404, ["Compte introuvable."])
    now = clock()
    keys = [(policy.throttle_key(account.login), policy.ACCOUNT_RULE)]
    counted = await count_attempt(store, keys, now)
    if isinstance(counted, Blocked):
        raise password_refused(429, [policy.retry_message(counted.until)])
    if not await asyncio.to_thread(hasher.verify, account.password_hash, password):
        refused = policy.refused_after(counted, now, policy.WRONG_CURRENT)
        raise password_refused(429 if refused.retry_at else 422, [refused.message])
    await forget(store, keys)


async def resolve(store, session_policy: policy.SessionPolicy, token: str, clock: Clock = utc_now) -> dict | None:
    """The signed-in account behind a session token, or None (unknown, idle too long, too old)."""
    now = clock()
    async with store.connection() as conn:
        found = await store.resolved_session(conn, policy.token_hash(token))  # one round trip
        if found is None:
            return None
        row, structures, consents = found.row, found.structures, found.pending_consents
        if not session_policy.is_alive(row.created_at, row.last_seen_at, now):
            await store.delete_session(conn, row.session_id)
            return None
        if session_policy.needs_touch(row.last_seen_at, now):  # sliding idle timeout, one write a minute at most
            await store.touch_session(conn, row.session_id, now)
    current = next((s for s in structures if s.id == row.structure_id), structures[0] if structures else None)
    return {
        "session_id": str(row.session_id), "account_id": str(row.account_id), "login": row.login,
        "role": row.role, "family_id": str(row.family_id) if row.family_id else None,
        "display_name": row.display_name, "emails": list(row.emails),
        "must_change_password": row.must_change_password, "csrf_token": row.csrf_token,
        "structures": [{"id": str(s.id), "name": s.name, "updated_at": s.updated_at.isoformat()}
                       for s in structures],
        "current_structure_id": str(current.id) if current else None,
        "pending_consents": [{"kind": c.kind, "version": c.version, "title": c.title} for c in consents],
    }


async def logout(store, session_id: uuid.UUID) -> None:
    async with store.connection() as conn:
        await store.delete_session(conn, session_id)


async def choose_structure(store, account_id: uuid.UUID, session_id: uuid.UUID, structure_id: uuid.UUID) -> None:
    async with store.connection() as conn:
        allowed = {s.id for s in await store.account_structures(conn, account_id)}
        if structure_id not in allowed:
            raise Forbidden("Vous n'avez pas accès à cette structure.")
        await store.set_session_structure(conn, session_id, structure_id)

