"""Random identifiers in bulk."""

from __future__ import annotations

import os
import uuid


def uuid4s(count: int) -> list[uuid.UUID]:
    """`count` random (version 4) UUIDs from one read of the system's random source: uuid.uuid4() reads it
    once per id, and a rentrée basket needs forty (on a virtual machine each read is a system call that
    costs as much as building the id)."""
    raw = os.urandom(16 * count)
    return [uuid.UUID(bytes=raw[i:i + 16], version=4) for i in range(0, 16 * count, 16)]
