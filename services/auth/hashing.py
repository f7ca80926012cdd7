"""argon2id hashing of passwords (never below the OWASP minimum), on the NFKC form the rules check."""

from __future__ import annotations

import secrets

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from services.auth.domain.passwords import normalize

# OWASP Password Storage Cheat Sheet, argon2id minimum: 19 MiB, 2 iterations, 1 degree of parallelism.
MIN_TIME_COST = 2
MIN_MEMORY_COST_KIB = 19 * 1024
MIN_PARALLELISM = 1


class PasswordHasher:
    """argon2id, never below the OWASP minimum. ``verify`` never raises for a wrong password
    or a malformed stored hash; ``dummy_verify`` costs the same as ``verify`` so that a sign-in
    for an unknown identifiant takes as long as one for a known identifiant."""

    def __init__(
        self,
        time_cost: int = MIN_TIME_COST,
        memory_cost_kib: int = MIN_MEMORY_COST_KIB,
        parallelism: int = MIN_PARALLELISM,
    ):
        if time_cost < MIN_TIME_COST:
            raise ValueError(f"argon2 time_cost must be >= {MIN_TIME_COST}, got {time_cost}")
        if memory_cost_kib < MIN_MEMORY_COST_KIB:
            raise ValueError(f"argon2 memory_cost_kib must be >= {MIN_MEMORY_COST_KIB}, got {memory_cost_kib}")
        if parallelism < MIN_PARALLELISM:
            raise ValueError(f"argon2 parallelism must be >= {MIN_PARALLELISM}, got {parallelism}")
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost_kib,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        # A hash of a random secret with this hasher's own parameters, made up front so that
        # even the first dummy_verify costs exactly one verification.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(24))

    def hash(self, password: str) -> str:
        return self._hasher.hash(normalize(password))

    def verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, normalize(password))
        except (VerificationError, InvalidHashError):  # VerifyMismatchError is a VerificationError
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except (InvalidHashError, ValueError):
            return True

    def dummy_verify(self, password: str) -> None:
        self.verify(self._dummy_hash, password)
