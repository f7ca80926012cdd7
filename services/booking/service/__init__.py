"""booking's transaction scripts: each takes a store (`store.Database` for a script that owns its
transaction, `store.Store` inside the caller's), decides who may act (access.py), calls the rules (domain/)
and returns plain results; refusals are `contracts.errors`. Events leave through `OUTBOX`."""

from kit.outbox import Producer

OUTBOX = Producer("booking")

__all__ = ["OUTBOX"]
