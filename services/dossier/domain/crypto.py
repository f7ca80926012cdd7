"""Encryption at rest of the health data (health sheets and their documents): Fernet
(AES-128-CBC + HMAC-SHA256, authenticated), key from configuration.

Key rotation: configure the new key first and the previous ones in ``old_keys``; data is
always sealed with the first key, opened with any, and ``reseal`` re-encrypts old data."""

from __future__ import annotations

from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["Sealer"]

BAD_KEY = "Clé de chiffrement invalide : une clé Fernet est attendue (32 octets encodés en base64 url)."
UNREADABLE = "donnée chiffrée illisible"


def _fernet(key: str | bytes) -> Fernet:
    try:
        return Fernet(key)
    except (ValueError, TypeError):
        raise ValueError(BAD_KEY) from None


class Sealer:
    def __init__(self, key: str | bytes, old_keys: Iterable[str | bytes] = ()) -> None:
        self._current = _fernet(key)
        self._all = MultiFernet([self._current, *(_fernet(k) for k in old_keys)])

    def __repr__(self) -> str:  # never show a key in a log
        return "Sealer(<clé masquée>)"

    def seal(self, plain: bytes) -> bytes:
        return self._current.encrypt(plain)

    def open(self, sealed: bytes) -> bytes:
        """The plain data; ValueError when tampered with or sealed with an unknown key."""
        try:
            return self._all.decrypt(sealed)
        except (InvalidToken, TypeError):
            raise ValueError(UNREADABLE) from None

    def reseal(self, sealed: bytes) -> bytes:
        """The same data sealed with the current key (key rotation)."""
        try:
            return self._all.rotate(sealed)
        except (InvalidToken, TypeError):
            raise ValueError(UNREADABLE) from None

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode("ascii")
