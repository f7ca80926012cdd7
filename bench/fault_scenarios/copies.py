"""The effects checked against their owner: every consumer's copy of auth's facts against auth's tables,
and every transmitted booking line against billing's and notify's effects, counted in a `Tally`."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable
from typing import Any

import asyncpg

from bench.fault_scenarios.accounting import Tally
from bench.fault_scenarios.inprocess import events_not_consumed, subscribed_keys


async def auth_facts(auth: asyncpg.Pool) -> dict[str, Any]:
    families = await auth.fetch("SELECT id, identifiant, structure_id FROM families")
    guardians = await auth.fetch("SELECT id, family_id, rank, first_name, last_name FROM guardians ORDER BY rank")
    children = await auth.fetch("SELECT id, family_id, first_name, last_name, birth_date, structure_id FROM children")
    accounts = await auth.fetch("SELECT id, family_id, emails, display_name FROM accounts WHERE family_id IS NOT NULL")
    structures = await auth.fetch("SELECT id, name FROM structures")
    by_family: dict[uuid.UUID, list] = {f["id"]: [] for f in families}
    for g in guardians:
        by_family[g["family_id"]].append(g)
    family_structures = {(f["id"], f["structure_id"]) for f in families} | {(c["family_id"], c["structure_id"])
                                                                           for c in children}

    def label(f) -> str:
        first = next((g for g in by_family[f["id"]] if g["rank"] == 1), None)
        return f"{first['last_name'].upper()} {first['first_name']}" if first else f["identifiant"]

    return {
        "structures": {s["id"]: s["name"] for s in structures},
        "children": {c["id"]: (c["family_id"], c["first_name"], c["last_name"], c["birth_date"], c["structure_id"])
                     for c in children},
        "family_structures": family_structures,
        "billing_families": {f["id"]: (f["identifiant"], label(f)) for f in families},
        "dossier_families": {f["id"]: (f["identifiant"], tuple((str(g["id"]), g["first_name"], g["last_name"], g["rank"])
                                                               for g in by_family[f["id"]])) for f in families},
        "contacts": {a["family_id"]: (a["id"], tuple(a["emails"]), a["display_name"]) for a in accounts},
    }


async def compare_with_auth(tally: Tally, auth: asyncpg.Pool, pools: dict[str, asyncpg.Pool]) -> None:
    """Every copy of auth's facts that these consumers keep, against auth's own tables."""
    facts = await auth_facts(auth)
    children_of = {k: v[:4] for k, v in facts["children"].items()}  # billing's children have no structure
    if "booking" in pools:
        p = pools["booking"]
        tally.compare("booking.structures", facts["structures"],
                      [(r["id"], r["name"]) for r in await p.fetch("SELECT id, name FROM structures")])
        tally.compare("booking.children", facts["children"], [
            (r["id"], (r["family_id"], r["first_name"], r["last_name"], r["birth_date"], r["structure_id"]))
            for r in await p.fetch("SELECT id, family_id, first_name, last_name, birth_date, structure_id FROM children")])
        tally.compare_sets("booking.family_structures", facts["family_structures"], [
            (r["family_id"], r["structure_id"]) for r in await p.fetch("SELECT family_id, structure_id FROM family_structures")])
    if "billing" in pools:
        p = pools["billing"]
        tally.compare("billing.structures", facts["structures"],
                      [(r["id"], r["name"]) for r in await p.fetch("SELECT id, name FROM structures")])
        tally.compare("billing.families", facts["billing_families"], [
            (r["id"], (r["identifiant"], r["label"])) for r in await p.fetch("SELECT id, identifiant, label FROM families")])
        tally.compare("billing.children", children_of, [
            (r["id"], (r["family_id"], r["first_name"], r["last_name"], r["birth_date"]))
            for r in await p.fetch("SELECT id, family_id, first_name, last_name, birth_date FROM children")])
        tally.compare_sets("billing.family_structures", facts["family_structures"], [
            (r["family_id"], r["structure_id"]) for r in await p.fetch("SELECT family_id, structure_id FROM family_structures")])
    if "dossier" in pools:
        p = pools["dossier"]
        tally.compare("dossier.structures", facts["structures"],
                      [(r["id"], r["name"]) for r in await p.fetch("SELECT id, name FROM structures")])
        tally.compare("dossier.families", facts["dossier_families"], [
            (r["id"], (r["identifiant"], tuple((g["guardian_id"], g["first_name"], g["last_name"], g["rank"])
                                               for g in sorted(json.loads(r["guardians"]), key=lambda g: g["rank"]))))
            for r in await p.fetch("SELECT id, identifiant, guardians::text AS guardians FROM families")])
        tally.compare("dossier.children", facts["children"], [
            (r["id"], (r["family_id"], r["first_name"], r["last_name"], r["birth_date"], r["structure_id"]))
            for r in await p.fetch("SELECT id, family_id, first_name, last_name, birth_date, structure_id FROM children")])
    if "notify" in pools:
        tally.compare("notify.family_contacts", facts["contacts"], [
            (r["family_id"], (r["account_id"], tuple(r["emails"]), r["greeting"]))
            for r in await pools["notify"].fetch("SELECT family_id, account_id, emails, greeting FROM family_contacts")])
    auth_keys = [k for k in ("auth.structure_changed.v1", "auth.family_changed.v1", "auth.family_contacts.v1")]
    for name, pool in pools.items():
        keys = [k for k in subscribed_keys(name) if k in auth_keys]
        tally.count(f"{name}.events_from_auth", lost=await events_not_consumed(auth, pool, name, keys))



def expected_lines(rows: Iterable[Any]) -> dict[tuple[uuid.UUID, str], str]:
    """(booking_id, kind) → outcome of transmitted lines: booking's movements, or an event's lines."""
    return {(r["booking_id"], r["kind"]) if isinstance(r, asyncpg.Record) else (r.booking_id, r.kind):
            r["outcome"] if isinstance(r, asyncpg.Record) else r.outcome for r in rows}


async def transmission_effects(tally: Tally, booking: asyncpg.Pool, billing: asyncpg.Pool, notify: asyncpg.Pool,
                               expected: dict[tuple[uuid.UUID, str], str]) -> None:
    """Every transmitted line (`expected`) reached billing once (booking_movements, its consumption line and
    billing.consumption_recorded event for an accepted reservation), and every booking.transmitted.v1 event
    written in booking's outbox reached billing's inbox and notify's digest movements once."""
    ids = list({k[0] for k in expected})
    received = await billing.fetch("SELECT booking_id, kind, outcome FROM booking_movements "
                                   "WHERE booking_id = ANY($1::uuid[])", ids)
    tally.compare("billing.booking_movements", expected, [((r["booking_id"], r["kind"]), r["outcome"]) for r in received])
    charged = [b for (b, kind), outcome in expected.items() if kind == "reserve" and outcome == "accepted"]
    lines = await billing.fetch("SELECT booking_id FROM consumptions WHERE credit_of IS NULL "
                                "AND booking_id = ANY($1::uuid[])", charged)
    tally.compare_sets("billing.consumptions", charged, [r["booking_id"] for r in lines])
    recorded = await billing.fetch(
        "SELECT (body->'payload'->>'booking_id')::uuid AS booking_id FROM outbox "
        "WHERE routing_key = 'billing.consumption_recorded.v1' "
        "AND (body->'payload'->>'booking_id')::uuid = ANY($1::uuid[])", charged)
    tally.compare_sets("billing.consumption_recorded_events", charged, [r["booking_id"] for r in recorded])
    tally.count("billing.events_from_booking", lost=await events_not_consumed(booking, billing, "billing",
                                                                            ["booking.transmitted.v1"]))
    events = await booking.fetch("SELECT event_id FROM outbox WHERE routing_key = 'booking.transmitted.v1'")
    digests = await notify.fetch("SELECT event_id, transmission_id, family_id, structure_id FROM digest_movements")
    tally.compare_sets("notify.digest_movements", [e["event_id"] for e in events], [d["event_id"] for d in digests])
    per_family = Counter((d["transmission_id"], d["family_id"], d["structure_id"]) for d in digests)
    tally.count("notify.digest_movements_per_family", duplicated=sum(n - 1 for n in per_family.values()))
    tally.count("notify.events_from_booking", lost=await events_not_consumed(booking, notify, "notify",
                                                                           ["booking.transmitted.v1"]))

