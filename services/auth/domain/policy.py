"""Sign-in policy, without I/O: the identifiant's normal form, throttling of failed logins and what the
person is told, session lifetimes, secret tokens."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


GENERIC_LOGIN_FAILURE = "Identifiant ou mot de passe incorrect."
WRONG_CURRENT = "Le mot de passe actuel saisi est incorrect."


def login_key(login: str) -> str:
    """THE normalisation of a typed identifiant, used both for the throttle key and for finding the account:
    NFKC, case folding (full: "ẞ" -> "ss", the Kelvin sign -> "k"), surrounding spaces removed. Every
    spelling that finds an account is therefore throttled with that account."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", login).casefold())
    return folded.strip()


def throttle_key(login: str) -> str:
    key = login_key(login)
    if len(key) > 100:  # NFKC can make 200 characters typed many times longer: keep the index row small
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return f"login:{key}"


def address_key(address: str) -> str:
    return f"addr:{address}"


@dataclass(frozen=True)
class ThrottleRule:
    """After `free_failures` failures in a row, each further failure blocks for a delay that doubles
    from `base_delay` up to `max_delay`. A success resets the count."""

    free_failures: int
    base_delay: timedelta
    max_delay: timedelta


ACCOUNT_RULE = ThrottleRule(free_failures=5, base_delay=timedelta(minutes=1), max_delay=timedelta(minutes=30))
# A shared address (a town hall, a school) has many honest users: a looser rule.
ADDRESS_RULE = ThrottleRule(free_failures=20, base_delay=timedelta(minutes=1), max_delay=timedelta(minutes=30))


@dataclass(frozen=True)
class ThrottleState:
    failures: int = 0
    blocked_until: datetime | None = None


def blocked_until(state: ThrottleState, now: datetime) -> datetime | None:
    if state.blocked_until is not None and state.blocked_until > now:
        return state.blocked_until
    return None


def after_failure(state: ThrottleState, rule: ThrottleRule, now: datetime) -> ThrottleState:
    failures = state.failures + 1
    if failures < rule.free_failures:
        return ThrottleState(failures, None)
    delay = min(rule.base_delay * (2 ** (failures - rule.free_failures)), rule.max_delay)
    return ThrottleState(failures, now + delay)


def retry_message(until: datetime) -> str:
    local = until.astimezone(PARIS)
    return ("Trop de tentatives de connexion infructueuses. Par sécurité, réessayez à partir de "
            f"{local:%H:%M} (heure de Paris).")


@dataclass(frozen=True)
class Blocked:
    """A password check not even attempted: a block is in force until `until`."""

    until: datetime


def block_in_force(states: list[ThrottleState], now: datetime) -> Blocked | None:
    """The longest block in force among these keys' states, if any."""
    blocked = [b for b in (blocked_until(state, now) for state in states) if b]
    return Blocked(max(blocked)) if blocked else None


@dataclass(frozen=True)
class LoginRefused:
    message: str
    retry_at: datetime | None = None


def refused_after(states: list[ThrottleState], now: datetime, message: str) -> LoginRefused:
    """A wrong password: the message, and the retry time when this failure started a block."""
    block = block_in_force(states, now)
    if block is not None:
        return LoginRefused(f"{message} {retry_message(block.until)}", block.until)
    return LoginRefused(message)


@dataclass(frozen=True)
class SessionPolicy:
    idle_timeout: timedelta = timedelta(minutes=30)
    absolute_lifetime: timedelta = timedelta(hours=12)

    # how stale `last_seen_at` may get before a check writes it again: the idle timeout slides by the minute, and a
    # page polled every few seconds (the waiting room) does not write the session at every poll
    touch_every: timedelta = timedelta(minutes=1)

    def is_alive(self, created_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
        return now - last_seen_at < self.idle_timeout and now - created_at < self.absolute_lifetime

    def needs_touch(self, last_seen_at: datetime, now: datetime) -> bool:
        """Whether this check records the session's activity (at most once per `touch_every`)."""
        return now - last_seen_at >= self.touch_every


RESET_LINK_LIFETIME = timedelta(hours=1)


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def split_emails(raw: str) -> list[str]:
    """The guide's format: several addresses separated by semicolons; the first one counts for tickets."""
    seen, result = set(), []
    for part in raw.replace("\n", ";").split(";"):
        address = part.strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    return result
