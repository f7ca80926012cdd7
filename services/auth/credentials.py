"""Password changes: first login / security update, profile change, reset by e-mail link."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import asyncpg

from contracts import NotifySendV1
from kit import outbox
from services.auth import policy, sessions
from services.auth.passwords import PasswordHasher, PasswordRejected, validate_new_password
from services.auth.sessions import end_other_sessions, now_utc

WRONG_CURRENT = "Le mot de passe actuel saisi est incorrect."


class CredentialError(Exception):
    """A refusal the parent can act on (French message)."""

    def __init__(self, status: int, messages: list[str]):
        self.status, self.messages = status, messages
        super().__init__("; ".join(messages))


async def _account(conn: asyncpg.Connection, account_id: uuid.UUID) -> asyncpg.Record:
    row = await conn.fetchrow(
        "SELECT id, login, password_hash, must_change_password FROM accounts WHERE id = $1 FOR UPDATE", account_id)
    if row is None:
        raise CredentialError(404, ["Compte introuvable."])
    return row


async def _check_new(hasher: PasswordHasher, account: asyncpg.Record, password: str, confirmation: str,
                     current: str | None = None) -> None:
    messages: list[str] = []
    try:
        validate_new_password(password, confirmation, identifiant=account["login"], current=current)
    except PasswordRejected as exc:
        messages.extend(exc.messages)
    same_as_old = "Le nouveau mot de passe doit être différent de l'ancien."
    if same_as_old not in messages and await asyncio.to_thread(hasher.verify, account["password_hash"], password):
        messages.append(same_as_old)
    if messages:
        raise CredentialError(422, messages)


async def _store(conn, hasher: PasswordHasher, account_id: uuid.UUID, password: str,
                 keep_session: uuid.UUID | None) -> None:
    new_hash = await asyncio.to_thread(hasher.hash, password)
    await conn.execute(
        """UPDATE accounts SET password_hash = $2, must_change_password = false, password_changed_at = now()
           WHERE id = $1""", account_id, new_hash)
    await end_other_sessions(conn, account_id, keep_session)  # a stolen session dies with the old password


async def set_required_password(pool, hasher, account_id: uuid.UUID, session_id: uuid.UUID,
                                password: str, confirmation: str) -> None:
    """First login or "Mise à jour de sécurité": the account must choose a new password."""
    async with pool.acquire() as conn, conn.transaction():
        account = await _account(conn, account_id)
        if not account["must_change_password"]:
            raise CredentialError(409, ["Votre mot de passe a déjà été mis à jour."])
        await _check_new(hasher, account, password, confirmation)
        await _store(conn, hasher, account_id, password, session_id)


async def check_current_password(pool, hasher: PasswordHasher, account_id: uuid.UUID, password: str) -> None:
    """What a signed-in account confirms a sensitive change with, throttled as sign-in is and with the
    same count (a stolen session gives no more guesses than the sign-in page does)."""
    account = await pool.fetchrow("SELECT login, password_hash FROM accounts WHERE id = $1", account_id)
    if account is None:
        raise CredentialError(404, ["Compte introuvable."])
    now = now_utc()
    keys = [(sessions.throttle_key(account["login"]), policy.ACCOUNT_RULE)]
    async with pool.acquire() as conn:
        counted = await sessions.count_attempt(conn, keys, now)
        if isinstance(counted, sessions.Blocked):
            raise CredentialError(429, [policy.retry_message(counted.until)])
        if not await asyncio.to_thread(hasher.verify, account["password_hash"], password):
            refused = sessions.refused_after(counted, now, WRONG_CURRENT)
            raise CredentialError(429 if refused.retry_at else 422, [refused.message])
        await sessions.forget(conn, [key for key, _rule in keys])


async def change_password(pool, hasher, account_id: uuid.UUID, session_id: uuid.UUID, current: str,
                          password: str, confirmation: str) -> None:
    await check_current_password(pool, hasher, account_id, current)
    async with pool.acquire() as conn, conn.transaction():
        account = await _account(conn, account_id)
        await _check_new(hasher, account, password, confirmation, current=current)
        await _store(conn, hasher, account_id, password, session_id)


async def request_reset(pool, login: str, email: str, public_url: str, floor_seconds: float) -> None:
    """Send a reset link when the identifiant and the address match an account. Answers the same way
    and in about the same time whether or not they matched."""
    started = asyncio.get_running_loop().time()
    async with pool.acquire() as conn, conn.transaction():
        account = await conn.fetchrow(
            f"""SELECT id, login, emails FROM accounts WHERE {sessions.ACCOUNT_BY_KEY}
               AND EXISTS (SELECT 1 FROM unnest(emails) e WHERE lower(e) = lower($2))""",
            sessions.login_key(login), email.strip())
        if account is not None:
            token = policy.new_token()
            # Only the newest link works: requesting another kills the previous ones.
            await conn.execute("UPDATE reset_tokens SET used_at = now() WHERE account_id = $1 AND used_at IS NULL",
                               account["id"])
            now = now_utc()
            await conn.execute(
                "INSERT INTO reset_tokens (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                policy.token_hash(token), account["id"], now, now + policy.RESET_LINK_LIFETIME)
            address = next(e for e in account["emails"] if e.lower() == email.strip().lower())
            await outbox.add(conn, NotifySendV1(
                to=[address], template="password_reset",
                params={"identifiant": account["login"], "lien": f"{public_url.rstrip('/')}/reinitialisation/{token}",
                        "validite": "1 heure"}), producer="auth", secret=True)
    elapsed = asyncio.get_running_loop().time() - started
    await asyncio.sleep(max(0.0, floor_seconds - elapsed))


async def _valid_reset(conn, token: str, now: datetime) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT t.token_hash, t.account_id FROM reset_tokens t
           WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > $2 FOR UPDATE""",
        policy.token_hash(token), now)


async def reset_link_is_valid(pool, token: str) -> bool:
    async with pool.acquire() as conn:
        return await _valid_reset(conn, token, now_utc()) is not None


INVALID_LINK = ("Ce lien de réinitialisation n'est plus valable (il a expiré, a déjà servi ou un autre lien a été "
                "demandé depuis). Faites une nouvelle demande.")


async def reset_password(pool, hasher, token: str, password: str, confirmation: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        row = await _valid_reset(conn, token, now_utc())
        if row is None:
            raise CredentialError(410, [INVALID_LINK])
        account = await _account(conn, row["account_id"])
        await _check_new(hasher, account, password, confirmation)
        await conn.execute("UPDATE reset_tokens SET used_at = now() WHERE token_hash = $1", row["token_hash"])
        await _store(conn, hasher, account["id"], password, keep_session=None)
