"""Writing auth's facts as staff do: structures, and families typed in (by auth's own code path before it
runs, through its internal API once it does, some completed later with one more child)."""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import aiohttp
import asyncpg


@dataclass(frozen=True)
class Kid:
    first_name: str
    last_name: str
    birth_date: date
    structure_id: uuid.UUID


@dataclass(frozen=True)
class FamilySpec:
    """A family as staff type it in (auth's POST /v1/families)."""

    identifiant: str
    guardians: tuple[tuple[str, str], ...]  # (first name, last name), the responsable first
    emails: tuple[str, ...]
    structure_id: uuid.UUID
    children: tuple[Kid, ...]
    civility: str = "Mme"
    initial_password: str = "Faute-Bus-2098!"

    def with_child(self, kid: Kid) -> FamilySpec:
        from dataclasses import replace

        return replace(self, children=self.children + (kid,))

    def body(self) -> dict[str, Any]:
        (first, last), *other = self.guardians
        body: dict[str, Any] = {
            "identifiant": self.identifiant, "structure_id": str(self.structure_id),
            "responsable": {"first_name": first, "last_name": last, "civilite": self.civility},
            "emails": list(self.emails), "initial_password": self.initial_password,
            "children": [{"first_name": c.first_name, "last_name": c.last_name, "birth_date": c.birth_date.isoformat(),
                          "structure_id": str(c.structure_id)} for c in self.children]}
        if other:
            body["autre_responsable"] = {"first_name": other[0][0], "last_name": other[0][1]}
        return body


def new_family(number: int, structures: list[uuid.UUID], tag: str, children: int = 2) -> FamilySpec:
    last = f"FAUTE{tag.upper()}{number:04d}"
    kids = tuple(Kid(f"Enfant{i}", last, date(2015 + i, 1 + number % 12, 1 + i), structures[(number + i) % len(structures)])
                 for i in range(children))
    guardians = (("Louise", last),) + ((("Paul", last),) if random.Random(number).random() < 0.5 else ())
    return FamilySpec(identifiant=f"{tag}-{number:04d}", guardians=guardians,
                      emails=(f"famille{number:04d}.{tag}@example.fr",), structure_id=structures[number % len(structures)],
                      children=kids)


def later_child(family: FamilySpec, number: int) -> FamilySpec:
    """The same family typed again with one more child: auth adds the child, a newer version of the family."""
    return family.with_child(Kid("Cadet", family.guardians[0][1], date(2021, 6, 1 + number % 28), family.structure_id))


async def create_structure(conn: asyncpg.Connection, name: str) -> uuid.UUID:
    """As auth's POST /v1/structures does: the row and auth.structure_changed.v1 in one transaction."""
    from contracts.auth import AuthStructureChangedV1
    from kit import outbox

    structure_id = uuid.uuid4()
    async with conn.transaction():
        row = await conn.fetchrow("INSERT INTO structures (id, name) VALUES ($1, $2) RETURNING id, name, updated_at",
                                  structure_id, name)
        await outbox.add(conn, AuthStructureChangedV1(structure_id=row["id"], name=row["name"],
                                                      updated_at=row["updated_at"]), producer="auth")
    return structure_id


def auth_code_path(pool: asyncpg.Pool) -> Callable[[asyncpg.Connection, FamilySpec], Any] | None:
    """auth's own way to create (or complete) a family in the caller's transaction, for the families written
    before auth runs: `upsert_family` with its password hasher, wherever auth keeps them (its modules are being
    reorganised). None when they cannot be found: those families then wait for auth's API."""
    import importlib
    import inspect

    def first(*candidates: tuple[str, str]) -> Any:
        for module, name in candidates:
            with contextlib.suppress(ImportError, AttributeError):
                return getattr(importlib.import_module(module), name)
        return None

    upsert = first(("services.auth.families", "upsert_family"), ("services.auth.service.families", "upsert_family"))
    hasher_cls = first(("services.auth.hashing", "PasswordHasher"), ("services.auth.passwords", "PasswordHasher"),
                       ("services.auth.domain.passwords", "PasswordHasher"))
    kinds = [first(("services.auth.domain.families", n), ("services.auth.family_import", n))
             for n in ("ImportedFamily", "ImportedGuardian", "ImportedChild")]
    if upsert is None or hasher_cls is None or None in kinds:
        return None
    imported_family, imported_guardian, imported_child = kinds
    hasher = hasher_cls()
    if "store" in inspect.signature(upsert).parameters:  # upsert_family(conn, store, producer, hasher, family)
        store_cls, producer = first(("services.auth.store", "Store")), first(("services.auth.events", "PRODUCER"))
        if store_cls is None or producer is None:
            return None
        store = store_cls(pool)

        def call(conn, family):
            return upsert(conn, store, producer, hasher, family)
    else:  # upsert_family(conn, hasher, family)
        def call(conn, family):
            return upsert(conn, hasher, family)

    async def create(conn: asyncpg.Connection, spec: FamilySpec) -> Any:
        family = imported_family(
            identifiant=spec.identifiant, emails=spec.emails, structure_id=spec.structure_id,
            initial_password=spec.initial_password, lines=(),
            guardians=tuple(imported_guardian(f, last, rank, spec.civility if rank == 1 else None)
                            for rank, (f, last) in enumerate(spec.guardians, 1)),
            children=tuple(imported_child(c.first_name, c.last_name, c.birth_date, c.structure_id) for c in spec.children))
        return await call(conn, family)

    return create


async def create_family_by_api(http: aiohttp.ClientSession, auth_url: str, secret: str, family: FamilySpec,
                               expect: int = 201) -> None:
    """POST /v1/families on auth's internal API, as the gateway forwards it for an administrator (201: created;
    409: known, its new children added)."""
    from kit import identity as ident

    token = ident.issue(ident.Identity(subject=str(uuid.uuid4()), role="admin"), secret)
    async with http.post(f"{auth_url}/v1/families", json=family.body(), headers={ident.HEADER: token}) as resp:
        if resp.status != expect:
            raise RuntimeError(f"auth answered {resp.status} for {family.identifiant}: {await resp.text()}")

