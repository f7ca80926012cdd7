"""The consistency check of the projections, shared by owners and consumers (contracts/consistency.py).

An owner computes, per kind of fact and per structure, the count and a checksum of its (identifier,
version) pairs, from its own tables (`facts`), and publishes them as its `<owner>.facts_digest`. A
consumer computes the same from its projection — the rows actually present, with the versions kept by
kit/projection.py — compares (`compare`), records its verdict in its `consistency_verdicts` table and
publishes it (ConsistencyVerdictV1). Nobody reads another service's database.

Each query given to `facts` returns rows (structure_id, key, version) for one kind; version may be NULL
for facts that never change once made (a billed booking)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiohttp import web

from contracts.consistency import ConsistencyCheckRequestedV1, ConsistencyVerdictV1, Difference, FactCount
from contracts.envelope import Envelope, Message
from kit import outbox
from kit.http import identity_of, json_response
from kit.logging import get_logger

log = get_logger(__name__)

# kind → (one, several) in French
LABELS = {
    "structures": ("structure", "structures"),
    "families": ("famille", "familles"),
    "children": ("enfant", "enfants"),
    "contacts": ("fiche d'adresses d'une famille", "fiches d'adresses de familles"),
    "quotients": ("quotient familial", "quotients familiaux"),
    "house_rules": ("règlement intérieur signé", "règlements intérieurs signés"),
    "bookings": ("réservation facturable", "réservations facturables"),
}

# The owners' digests (routing keys), for tools/consistency.py and the pages.
OWNERS = ("auth", "dossier", "booking")


def micros(version: datetime | None) -> int:
    """A version as an integer (microseconds since the epoch), the same whatever the time zone."""
    if version is None:
        return 0
    if version.tzinfo is None:
        version = version.replace(tzinfo=UTC)
    delta = version - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def checksum(pairs: list[tuple[str, datetime | None]]) -> str:
    digest = hashlib.sha256()
    for key, version in sorted((k, micros(v)) for k, v in pairs):
        digest.update(f"{key}|{version}\n".encode())
    return digest.hexdigest()


Queries = Mapping[str, str]


async def facts(conn: asyncpg.Connection, queries: Queries, names: Mapping[uuid.UUID, str] | None = None,
                ) -> list[FactCount]:
    """Count and checksum each kind's facts per structure."""
    out: list[FactCount] = []
    for kind, sql in queries.items():
        groups: dict[uuid.UUID | None, list[tuple[str, datetime | None]]] = defaultdict(list)
        for structure_id, key, version in await conn.fetch(sql):
            groups[structure_id].append((str(key), version))
        for structure_id, pairs in sorted(groups.items(), key=lambda g: str(g[0])):
            out.append(FactCount(kind=kind, structure_id=structure_id, count=len(pairs), checksum=checksum(pairs),
                                 structure_name=(names or {}).get(structure_id) if structure_id else None))
    return out


def _where(count: FactCount | None, structure_id: uuid.UUID | None, names: Mapping[uuid.UUID, str]) -> str:
    if structure_id is None:
        return "(toutes structures confondues)"
    name = (count.structure_name if count else None) or names.get(structure_id) or str(structure_id)
    return f"de la structure {name}"


def _label(kind: str, n: int) -> str:
    one, several = LABELS.get(kind, (kind, kind))
    return f"{n} {one if n == 1 else several}"


def compare(consumer: str, owner: str, owner_facts: list[FactCount], mine: list[FactCount], kinds: set[str],
            names: Mapping[uuid.UUID, str] | None = None) -> list[Difference]:
    """The differences, kind by kind and structure by structure, for the kinds this consumer keeps."""
    names = names or {}
    theirs = {(f.kind, f.structure_id): f for f in owner_facts}
    ours = {(f.kind, f.structure_id): f for f in mine}
    empty = checksum([])
    out: list[Difference] = []
    for kind, structure_id in sorted(set(theirs) | set(ours), key=lambda k: (k[0], str(k[1]))):
        if kind not in kinds:
            continue
        a, b = theirs.get((kind, structure_id)), ours.get((kind, structure_id))
        n_owner, n_mine = (a.count if a else 0), (b.count if b else 0)
        sum_owner, sum_mine = (a.checksum if a else empty), (b.checksum if b else empty)
        if n_owner == n_mine and sum_owner == sum_mine:
            continue
        where = _where(a or b, structure_id, names)
        if n_mine < n_owner:
            verb = "manque" if n_owner - n_mine == 1 else "manquent"
            text = (f"{consumer} : {_label(kind, n_owner - n_mine)} {where} {verb} dans la projection "
                    f"({n_owner} chez {owner}, {n_mine} dans la projection).")
        elif n_mine > n_owner:
            text = (f"{consumer} : {_label(kind, n_mine - n_owner)} {where} en trop dans la projection "
                    f"({n_owner} chez {owner}, {n_mine} dans la projection).")
        else:
            text = (f"{consumer} : {LABELS.get(kind, (kind, kind))[1]} {where} : même nombre ({n_owner}) mais "
                    f"des versions différentes de celles de {owner} (copie périmée ou modifiée).")
        out.append(Difference(kind=kind, structure_id=structure_id, owner_count=n_owner, projection_count=n_mine,
                              checksum_differs=sum_owner != sum_mine, text=text))
    return out


# -- owners ------------------------------------------------------------------------------------------------
NamesSql = str


async def publish_digest(conn: asyncpg.Connection, owner: str, message: type[Message], queries: Queries,
                         names_sql: NamesSql, check_id: uuid.UUID | None) -> list[FactCount]:
    """Compute the owner's digest and write it to its outbox, in the caller's transaction."""
    names = {r[0]: r[1] for r in await conn.fetch(names_sql)}
    counts = await facts(conn, queries, names)
    await outbox.add(conn, message(check_id=check_id, computed_at=datetime.now(UTC), facts=counts), producer=owner)
    return counts


def digest_on_request(owner: str, message: type[Message], queries: Queries, names_sql: NamesSql):
    """The owner's subscription to ConsistencyCheckRequestedV1."""
    async def effect(conn: asyncpg.Connection, envelope: Envelope[ConsistencyCheckRequestedV1]) -> None:
        await publish_digest(conn, owner, message, queries, names_sql, envelope.payload.check_id)

    effect.__name__ = f"{owner}_facts_digest"
    return effect


# -- consumers ---------------------------------------------------------------------------------------------
def verdict_on_digest(consumer: str, owner: str, queries: Queries, names_sql: NamesSql | None = None):
    """A consumer's subscription to an owner's facts digest: compare, record, publish the verdict."""
    async def effect(conn: asyncpg.Connection, envelope: Envelope[Any]) -> None:
        digest = envelope.payload
        mine = await facts(conn, queries)
        names = {r[0]: r[1] for r in await conn.fetch(names_sql)} if names_sql else {}
        differences = compare(consumer, owner, digest.facts, mine, set(queries), names)
        verdict = ConsistencyVerdictV1(check_id=digest.check_id, consumer=consumer, owner=owner,
                                       checked_at=datetime.now(UTC), consistent=not differences,
                                       differences=differences)
        await conn.execute(
            """INSERT INTO consistency_verdicts (check_id, owner, checked_at, consistent, body)
               VALUES ($1, $2, $3, $4, $5::jsonb)""",
            verdict.check_id, owner, verdict.checked_at, verdict.consistent, verdict.model_dump_json())
        await outbox.add(conn, verdict, producer=consumer)
        (log.info if verdict.consistent else log.warning)(
            "projection checked", owner=owner, check_id=str(digest.check_id), consistent=verdict.consistent,
            differences=[d.text for d in differences])

    effect.__name__ = f"{consumer}_checks_{owner}"
    return effect


async def latest_verdicts(conn: asyncpg.Connection | asyncpg.Pool) -> list[dict]:
    rows = await conn.fetch(
        """SELECT DISTINCT ON (owner) body::text AS body FROM consistency_verdicts ORDER BY owner, id DESC""")
    return [json.loads(r["body"]) for r in rows]


# -- routes --------------------------------------------------------------------------------------------------
def _require_admin(request: web.Request) -> None:
    if identity_of(request).role != "admin":
        raise web.HTTPForbidden(text="Réservé aux administrateurs.")


def _uuid_or_none(raw: Any, label: str) -> uuid.UUID | None:
    if raw in (None, ""):
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise web.HTTPUnprocessableEntity(text=f"{label} invalide.") from None


Resync = Callable[[asyncpg.Pool, uuid.UUID | None, uuid.UUID | None], Awaitable[dict[str, int]]]


def owner_routes(app: web.Application, pool: Callable[[web.Request], asyncpg.Pool], owner: str,
                 message: type[Message], queries: Queries, names_sql: NamesSql, resync: Resync) -> None:
    """An owner's internal routes for administrators (called by the gateway's Exploitation page):
    POST /v1/ops/resync {family_id?, structure_id?} and POST /v1/ops/facts-digest {check_id?}."""
    async def resync_route(request: web.Request) -> web.Response:
        _require_admin(request)
        body = await request.json() if request.can_read_body else {}
        family_id = _uuid_or_none(body.get("family_id"), "Identifiant de famille")
        structure_id = _uuid_or_none(body.get("structure_id"), "Identifiant de structure")
        report = await resync(pool(request), family_id, structure_id)
        log.info("resync requested", owner=owner, family_id=str(family_id) if family_id else None,
                 structure_id=str(structure_id) if structure_id else None, **report)
        return json_response({"service": owner, **report})

    async def digest_route(request: web.Request) -> web.Response:
        _require_admin(request)
        body = await request.json() if request.can_read_body else {}
        check_id = _uuid_or_none(body.get("check_id"), "Identifiant de contrôle")
        async with pool(request).acquire() as conn, conn.transaction():
            counts = await publish_digest(conn, owner, message, queries, names_sql, check_id)
        return json_response({"service": owner, "facts": len(counts)})

    app.router.add_post("/v1/ops/resync", resync_route)
    app.router.add_post("/v1/ops/facts-digest", digest_route)


def consumer_routes(app: web.Application, pool: Callable[[web.Request], asyncpg.Pool]) -> None:
    """GET /v1/ops/consistency: this consumer's latest verdict per owner (administrators)."""
    async def verdicts_route(request: web.Request) -> web.Response:
        _require_admin(request)
        return json_response({"verdicts": await latest_verdicts(pool(request))})

    app.router.add_get("/v1/ops/consistency", verdicts_route)


# -- the resync command ------------------------------------------------------------------------------------
def resync_command(owner: str, resync: Resync, args: Callable[[], list[str]]):
    """`python -m services.<owner> resync [--family ID | --structure ID | --all]`."""
    import argparse

    async def command(_settings, pool: asyncpg.Pool) -> None:
        parser = argparse.ArgumentParser(prog=f"python -m services.{owner} resync",
                                         description=f"Republie les faits de {owner} (resynchronisation).")
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--family", type=uuid.UUID, help="une famille (identifiant)")
        group.add_argument("--structure", type=uuid.UUID, help="une structure (identifiant)")
        group.add_argument("--all", action="store_true", help="tout")
        options = parser.parse_args(args())
        report = await resync(pool, options.family, options.structure)
        log.info("resync done", owner=owner, **report)
        details = ", ".join(f"{n} {LABELS.get(k, (k, k))[1 if n != 1 else 0]}" for k, n in report.items())
        print(f"Resynchronisation {owner} : {details or 'rien'} republié(s) ; les événements partent par l'outbox.")

    return command
