"""Costs shown to parents, computed with billing's own rule (contracts/pricing.py) from the copies of
billing's tariffs and dossier's quotient familial that booking keeps."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, time

from contracts.pricing import Tariff, child_ranks, price


class Pricer:
    def __init__(self, versions: dict[uuid.UUID, list[Tariff]], family_quotient: int | None,
                 ranks: dict[uuid.UUID, int]):
        self.versions, self.family_quotient, self.ranks = versions, family_quotient, ranks

    def cents(self, activity_id: uuid.UUID, child_id: uuid.UUID, day: date, arrival: time | None = None,
              departure: time | None = None) -> int | None:
        versions = self.versions.get(activity_id)
        if not versions:
            return None
        try:
            found = price(versions, day, self.family_quotient, self.ranks.get(child_id, 1), arrival, departure)
        except ValueError:  # a time-entry activity before its hours are chosen: the price of one unit
            found = price(versions, day, self.family_quotient, self.ranks.get(child_id, 1), time(0), time(0, 1))
        return found.total_cents if found else None


async def pricer_for(conn, family_id: uuid.UUID) -> Pricer:
    children = await conn.fetch("SELECT id, birth_date, structure_id FROM children WHERE family_id = $1", family_id)
    rows = await conn.fetch(
        """SELECT t.activity_id, t.body::text AS body FROM tariffs t JOIN activities a ON a.id = t.activity_id
           WHERE a.structure_id = ANY($1::uuid[]) ORDER BY t.effective_from""",
        list({c["structure_id"] for c in children}))
    versions: dict[uuid.UUID, list[Tariff]] = defaultdict(list)
    for r in rows:
        versions[r["activity_id"]].append(Tariff.model_validate_json(r["body"]))
    quotient = await conn.fetchval("SELECT family_quotient FROM quotients WHERE family_id = $1", family_id)
    return Pricer(dict(versions), quotient, child_ranks([(c["id"], c["birth_date"]) for c in children]))
