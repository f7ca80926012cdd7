"""Costs shown to parents, computed with billing's own rule (contracts/pricing.py) from the tariffs and the
quotient familial booking keeps a copy of."""

from __future__ import annotations

import uuid
from datetime import date, time

from contracts.pricing import Price, Tariff, price

__all__ = ["Pricer"]


class Pricer:
    def __init__(self, versions: dict[uuid.UUID, list[Tariff]], family_quotient: int | None,
                 ranks: dict[uuid.UUID, int]):
        self.versions, self.family_quotient, self.ranks = versions, family_quotient, ranks

    def price(self, activity_id: uuid.UUID, child_id: uuid.UUID, day: date, arrival: time | None = None,
              departure: time | None = None) -> Price | None:
        """Unit price, quantity and total of one booking; None when no tariff applies that day."""
        versions = self.versions.get(activity_id)
        if not versions:
            return None
        try:
            return price(versions, day, self.family_quotient, self.ranks.get(child_id, 1), arrival, departure)
        except ValueError:  # a time-entry activity before its hours are chosen: the price of one unit
            return price(versions, day, self.family_quotient, self.ranks.get(child_id, 1), time(0), time(0, 1))

    def cents(self, activity_id: uuid.UUID, child_id: uuid.UUID, day: date, arrival: time | None = None,
              departure: time | None = None) -> int | None:
        found = self.price(activity_id, child_id, day, arrival, departure)
        return found.total_cents if found else None
