"""dossier's transaction scripts: each takes the store (and the outbox, the vault where it needs them),
asks access.py who may do what, calls the rules of domain/ and returns plain results; refusals are raised
as the errors of errors.py. No SQL and no HTTP here."""

from __future__ import annotations

from dataclasses import dataclass

from kit.outbox import Producer
from services.dossier.domain.crypto import Sealer
from services.dossier.domain.storage import Storage

OUTBOX = Producer("dossier")


@dataclass(frozen=True)
class Vault:
    """The key that seals health data and documents, and where the sealed documents are kept (ADR 0004)."""

    sealer: Sealer
    storage: Storage
