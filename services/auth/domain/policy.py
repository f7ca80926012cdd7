"""Sign-in policy, without I/O: throttling of failed logins, session lifetimes, secret tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


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
class SessionPolicy:
    idle_timeout: timedelta = timedelta(minutes=30)
    absolute_lifetime: timedelta = timedelta(hours=12)

    def is_alive(self, created_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
        return now - last_seen_at < self.idle_timeout and now - created_at < self.absolute_lifetime


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
