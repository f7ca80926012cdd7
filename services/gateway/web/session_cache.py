"""A short-lived cache of the sessions auth resolved, per gateway replica (docs/adr/0015).

Every page and API call resolves its session cookie; without the cache that is an HTTP call to auth and two or
three statements on its database per request, the biggest part of a calendar's cost through the gateway. An
entry lives `ttl_seconds` from the moment auth answered (never slid by a hit: the replica asks auth again at
least that often, so auth's sliding idle timeout and last-seen stay right), the cache holds at most
`max_entries` (the oldest dropped first), and a TTL of 0 disables it.

Keys are SHA-256 digests of the token, never the token: neither the memory nor anything printed from it holds
a usable cookie. Revocation on this replica is at once (`changed_by`, called by auth's client after every
change it sends); other replicas see it within the TTL.

No I/O here but the fetch the caller passes to `resolve`; the clock is passed in (tests move it)."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import Counter

from kit import identity as ident

# the cache's hit rate on the gateway's /metrics (a low one under load: the TTL is too short, or the cache full)
LOOKUPS = Counter("portail_gateway_session_cache_lookups_total", "Sessions resolved through the cache", ["result"])
_HIT, _MISS = LOOKUPS.labels("hit"), LOOKUPS.labels("miss")

# auth's routes that take a POST yet change no session's data: nothing to drop after them
READS_BY_POST = frozenset({"/v1/sessions/resolve", "/v1/login", "/v1/password/reset-requests",
                           "/v1/password/reset-links/check", "/v1/staff/families/search",
                           "/v1/staff/families/lookup", "/v1/ops/facts-digest", "/v1/ops/resync"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def token_key(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class Drop:
    """What a change sent to auth makes stale: every entry (`everything`), or those of an account and of a
    family (a family's guardians share its e-mails and structures)."""

    everything: bool = False
    account_id: str | None = None
    family_id: str | None = None


NOTHING = Drop()


def stale_after(method: str, target: str, who: ident.Identity, status: int | None = None) -> Drop:
    """What a call to auth by `who` (answered `status`, None when no answer came) may have changed in resolved
    sessions. A refusal (4xx) changed nothing. A parent's change (sign-out, structure, password, consents,
    e-mails) reaches its own account and family; a staff or admin change (news, legal documents, a security
    update, families imported…) or a password reset by link (its account is not known here) may reach anyone's,
    and is rare: everything is dropped."""
    route = target.split("?", 1)[0]
    if method.upper() in SAFE_METHODS or route in READS_BY_POST or (status is not None and 400 <= status < 500):
        return NOTHING
    if who.role == "parent":
        return Drop(account_id=who.subject, family_id=str(who.family_id) if who.family_id else None)
    return Drop(everything=True)


@dataclass
class _Entry:
    data: dict
    expires: float


class SessionCache:
    """The sessions this replica resolved lately, by token digest. One resolve per token at a time: requests
    that miss together share auth's answer."""

    def __init__(self, ttl_seconds: float, max_entries: int, clock: Callable[[], float] = time.monotonic):
        self.ttl, self.max_entries, self.clock = ttl_seconds, max_entries, clock
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        self._inflight: dict[bytes, asyncio.Future] = {}
        self._generation = 0  # moved by every drop: an answer fetched before a drop is not kept
        self.hits = self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.ttl > 0 and self.max_entries > 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str) -> dict | None:
        key = token_key(token)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self.clock() >= entry.expires:
            del self._entries[key]
            return None
        return entry.data

    def put(self, token: str, data: dict) -> None:
        if not self.enabled:
            return
        key = token_key(token)
        self._entries.pop(key, None)
        self._entries[key] = _Entry(data, self.clock() + self.ttl)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def resolve(self, token: str, fetch: Callable[[str], Awaitable[dict | None]]) -> dict | None:
        """The session behind `token`: this replica's copy while fresh, else auth's answer (`fetch`), kept
        unless a drop happened meanwhile. An unknown or ended session is never kept."""
        if not self.enabled:
            return await fetch(token)
        data = self.get(token)
        if data is not None:
            self.hits += 1
            _HIT.inc()
            return data
        self.misses += 1
        _MISS.inc()
        key = token_key(token)
        shared = self._inflight.get(key)
        if shared is not None:
            try:
                return await asyncio.shield(shared)
            except asyncio.CancelledError:
                if not shared.cancelled():  # this request was cancelled, not the shared resolve
                    raise
            return await fetch(token)  # the request that resolved it was cancelled: ask again
        generation = self._generation
        future = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            data = await fetch(token)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # marked retrieved: nobody else may be waiting
            raise
        else:
            future.set_result(data)
            if data is not None and generation == self._generation:
                self.put(token, data)
            return data
        finally:
            self._inflight.pop(key, None)

    def drop_token(self, token: str) -> None:
        self._generation += 1
        self._entries.pop(token_key(token), None)

    def drop(self, what: Drop) -> None:
        if what == NOTHING:
            return
        self._generation += 1
        if what.everything:
            self._entries.clear()
            return
        for key in [k for k, e in self._entries.items()
                    if (what.account_id and e.data.get("account_id") == what.account_id)
                    or (what.family_id and e.data.get("family_id") == what.family_id)]:
            del self._entries[key]

    def changed_by(self, method: str, target: str, who: ident.Identity, status: int | None = None) -> None:
        """After a call to auth: drop what it may have made stale (`stale_after`)."""
        self.drop(stale_after(method, target, who, status))
