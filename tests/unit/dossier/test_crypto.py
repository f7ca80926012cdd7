from __future__ import annotations

import base64

import pytest

from services.dossier.domain.crypto import Sealer

SECRET = "Allergie aux arachides — PAI en cours".encode()


def test_round_trip() -> None:
    key = Sealer.generate_key()
    assert isinstance(key, str) and len(base64.urlsafe_b64decode(key)) == 32
    sealer = Sealer(key)
    sealed = sealer.seal(SECRET)
    assert SECRET not in sealed and sealed != sealer.seal(SECRET)  # random IV
    assert sealer.open(sealed) == SECRET
    assert sealer.open(sealer.seal(b"")) == b""
    assert key not in repr(sealer)


def test_tampering_detected() -> None:
    sealer = Sealer(Sealer.generate_key())
    raw = bytearray(base64.urlsafe_b64decode(sealer.seal(SECRET)))
    raw[40] ^= 1
    with pytest.raises(ValueError, match="^donnée chiffrée illisible$"):
        sealer.open(base64.urlsafe_b64encode(bytes(raw)))
    with pytest.raises(ValueError, match="^donnée chiffrée illisible$"):
        sealer.open(b"n'importe quoi")


def test_wrong_key() -> None:
    sealed = Sealer(Sealer.generate_key()).seal(SECRET)
    with pytest.raises(ValueError, match="^donnée chiffrée illisible$"):
        Sealer(Sealer.generate_key()).open(sealed)


@pytest.mark.parametrize("key", ["", "trop-courte", base64.urlsafe_b64encode(b"x" * 16).decode(), "é" * 44])
def test_malformed_key(key: str) -> None:
    with pytest.raises(ValueError, match="Clé de chiffrement invalide"):
        Sealer(key)
    with pytest.raises(ValueError, match="Clé de chiffrement invalide"):
        Sealer(Sealer.generate_key(), old_keys=[key])


def test_rotation() -> None:
    old, new = Sealer.generate_key(), Sealer.generate_key()
    before = Sealer(old).seal(SECRET)
    rotated = Sealer(new, old_keys=[old])
    assert rotated.open(before) == SECRET  # old data still readable
    after = rotated.seal(SECRET)
    assert Sealer(new).open(after) == SECRET  # new data sealed with the first key
    with pytest.raises(ValueError):
        Sealer(old).open(after)
    resealed = rotated.reseal(before)
    assert Sealer(new).open(resealed) == SECRET
