"""billing's transaction scripts: each takes the store (services/billing/store/, or a fake one in the
unit tests), the outbox bound to billing (`OUTBOX`, or a fake) and the caller's identity, asks
services/billing/access.py, applies the rules of services/billing/domain/ and returns plain results;
refusals are raised as contracts.errors (services/billing/domain/errors.py), never built as responses."""

from __future__ import annotations

from typing import Any, Protocol

from kit.outbox import Producer

OUTBOX = Producer("billing")


class Outbox(Protocol):
    """Where a script writes the events of its change, in the same transaction (kit.outbox.Producer)."""

    async def add(self, conn: Any, payload: Any) -> Any: ...
