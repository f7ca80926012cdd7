"""Password changes: first sign-in or security update, change from the profile, reset by e-mail link."""

from __future__ import annotations

import asyncio
import uuid

from contracts import NotifySendV1
from kit.clock import Clock, utc_now
from kit.outbox import Producer
from services.auth.domain import policy
from services.auth.domain.passwords import MSG_SAME_AS_CURRENT, PasswordRejected, validate_new_password
from services.auth.service import password_refused
from services.auth.service.sign_in import check_current_password

INVALID_LINK = ("Ce lien de réinitialisation n'est plus valable (il a expiré, a déjà servi ou un autre lien a été "
                "demandé depuis). Faites une nouvelle demande.")


async def _account(conn, store, account_id: uuid.UUID):
    account = await store.account_for_update(conn, account_id)
    if account is None:
        raise password_refused(404, ["Compte introuvable."])
    return account


async def _check_new(hasher, account, password: str, confirmation: str, current: str | None = None) -> None:
    messages: list[str] = []
    try:
        validate_new_password(password, confirmation, identifiant=account.login, current=current)
    except PasswordRejected as exc:
        messages.extend(exc.messages)
    if MSG_SAME_AS_CURRENT not in messages and await asyncio.to_thread(hasher.verify, account.password_hash,
                                                                       password):
        messages.append(MSG_SAME_AS_CURRENT)
    if messages:
        raise password_refused(422, messages)


async def _store(conn, store, hasher, account_id: uuid.UUID, password: str, keep_session: uuid.UUID | None) -> None:
    new_hash = await asyncio.to_thread(hasher.hash, password)
    await store.store_new_password(conn, account_id, new_hash)
    await store.end_other_sessions(conn, account_id, keep_session)  # a stolen session dies with the old password


async def set_required_password(store, hasher, account_id: uuid.UUID, session_id: uuid.UUID,
                                password: str, confirmation: str) -> None:
    """First login or "Mise à jour de sécurité": the account must choose a new password."""
    async with store.transaction() as conn:
        account = await _account(conn, store, account_id)
        if not account.must_change_password:
            raise password_refused(409, ["Votre mot de passe a déjà été mis à jour."])
        await _check_new(hasher, account, password, confirmation)
        await _store(conn, store, hasher, account_id, password, session_id)


async def change_password(store, hasher, account_id: uuid.UUID, session_id: uuid.UUID, current: str,
                          password: str, confirmation: str, clock: Clock = utc_now) -> None:
    await check_current_password(store, hasher, account_id, current, clock)
    async with store.transaction() as conn:
        account = await _account(conn, store, account_id)
        await _check_new(hasher, account, password, confirmation, current=current)
        await _store(conn, store, hasher, account_id, password, session_id)


async def request_reset(store, producer: Producer, login: str, email: str, public_url: str, floor_seconds: float,
                        clock: Clock = utc_now) -> None:
    """Send a reset link when the identifiant and the address match an account. Answers the same way
    and in about the same time whether or not they matched."""
    started = asyncio.get_running_loop().time()
    async with store.transaction() as conn:
        account = await store.account_by_login_and_email(conn, policy.login_key(login), email.strip())
        if account is not None:
            token = policy.new_token()
            await store.kill_reset_links(conn, account.id)  # only the newest link works
            now = clock()
            await store.insert_reset_link(conn, policy.token_hash(token), account.id, now,
                                          now + policy.RESET_LINK_LIFETIME)
            address = next(e for e in account.emails if e.lower() == email.strip().lower())
            await producer.add(conn, NotifySendV1(
                to=[address], template="password_reset",
                params={"identifiant": account.login, "lien": f"{public_url.rstrip('/')}/reinitialisation/{token}",
                        "validite": "1 heure"}), secret=True)
    elapsed = asyncio.get_running_loop().time() - started
    await asyncio.sleep(max(0.0, floor_seconds - elapsed))


async def reset_link_is_valid(store, token: str, clock: Clock = utc_now) -> bool:
    async with store.connection() as conn:
        return await store.valid_reset_link(conn, policy.token_hash(token), clock()) is not None


async def reset_password(store, hasher, token: str, password: str, confirmation: str,
                         clock: Clock = utc_now) -> None:
    async with store.transaction() as conn:
        link = await store.valid_reset_link(conn, policy.token_hash(token), clock())
        if link is None:
            raise password_refused(410, [INVALID_LINK])
        account = await _account(conn, store, link.account_id)
        await _check_new(hasher, account, password, confirmation)
        await store.use_reset_link(conn, link.token_hash)
        await _store(conn, store, hasher, account.id, password, keep_session=None)
