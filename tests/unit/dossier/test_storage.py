from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.dossier.domain.storage import FileSystemStorage, Storage


async def test_round_trip(tmp_path: Path) -> None:
    storage = FileSystemStorage(tmp_path / "pieces")  # created on demand
    assert isinstance(storage, Storage)
    key = await storage.put(b"%PDF-1.7 contenu")
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    path = tmp_path / "pieces" / key[:2] / key[2:4] / key
    assert path.read_bytes() == b"%PDF-1.7 contenu"
    assert path.stat().st_mode & 0o077 == 0  # readable by the service only
    assert await storage.get(key) == b"%PDF-1.7 contenu"
    other = await storage.put(b"")
    assert other != key and await storage.get(other) == b""
    await storage.delete(key)
    with pytest.raises(KeyError):
        await storage.get(key)
    await storage.delete(key)  # deleting twice is harmless


async def test_atomic_no_temp_left(tmp_path: Path) -> None:
    storage = FileSystemStorage(tmp_path)
    keys = [await storage.put(bytes([i]) * 1000) for i in range(20)]
    files = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert files == sorted(keys)


async def test_missing_key(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        await FileSystemStorage(tmp_path).get("0" * 32)


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../../etc/passwd",
        "0" * 31,
        "0" * 33,
        "A" * 32,
        "0" * 31 + "\n",
        "/" + "0" * 31,
        "ab/cd/" + "0" * 26,
        "g" * 32,
    ],
)
async def test_bad_keys_refused(tmp_path: Path, key: str) -> None:
    storage = FileSystemStorage(tmp_path)
    with pytest.raises(ValueError):
        await storage.get(key)
    with pytest.raises(ValueError):
        await storage.delete(key)


async def test_put_requires_bytes(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        await FileSystemStorage(tmp_path).put("texte")  # type: ignore[arg-type]
