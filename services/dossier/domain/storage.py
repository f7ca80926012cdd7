"""Storage of the documents' files. Keys are random and opaque (uuid4 hex): no file name or
path ever comes from the user. On Kubernetes the root is a persistent volume."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
import uuid
from pathlib import Path
from typing import Protocol, runtime_checkable

__all__ = ["FileSystemStorage", "Storage", "check_key"]

_KEY = re.compile(r"[0-9a-f]{32}", re.ASCII)
_TEMP_PREFIX = ".tmp-"


@runtime_checkable
class Storage(Protocol):
    async def put(self, data: bytes) -> str:
        """Stores the data; returns an opaque key."""
        ...

    async def get(self, key: str) -> bytes:
        """The stored data; KeyError if absent."""
        ...

    async def delete(self, key: str) -> None:
        """Forgets the data (nothing happens if it is absent)."""
        ...


def check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError("Clé de stockage invalide.")
    return key


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory descriptors
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


class FileSystemStorage:
    """Files at ``root/ab/cd/<key>``, written atomically (temporary file, fsync, rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"FileSystemStorage({str(self.root)!r})"

    def path_of(self, key: str) -> Path:
        check_key(key)
        return self.root / key[:2] / key[2:4] / key

    def _write(self, key: str, data: bytes) -> None:
        path = self.path_of(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        _fsync_dir(path.parent)

    def _read(self, key: str) -> bytes:
        try:
            return self.path_of(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def _delete(self, key: str) -> None:
        path = self.path_of(key)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            _fsync_dir(path.parent)

    async def put(self, data: bytes) -> str:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError("data must be bytes")
        key = uuid.uuid4().hex
        await asyncio.to_thread(self._write, key, bytes(data))
        return key

    async def get(self, key: str) -> bytes:
        check_key(key)
        return await asyncio.to_thread(self._read, key)

    async def delete(self, key: str) -> None:
        check_key(key)
        await asyncio.to_thread(self._delete, key)
