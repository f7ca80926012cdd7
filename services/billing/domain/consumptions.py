"""Consumption lines: what a transmitted booking costs (the price its line carries, settled by booking's
transmission with contracts/pricing.py: docs/adr/0003; else priced here with the same rule from the tariff
of the day, the family's quotient and the child's rank), what its cancellation does (a line not yet
invoiced goes away, an invoiced one is credited), and the event that tells other systems."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, time

from contracts.billing import BillingConsumptionRecordedV1
from contracts.pricing import Price, Tariff, child_ranks, price


@dataclass(frozen=True)
class Child:
    id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date


@dataclass(frozen=True)
class Consumption:
    """One line of a family's history: a charge, or (credit_of set, negative amounts) its credit."""

    id: uuid.UUID
    family_id: uuid.UUID
    structure_id: uuid.UUID
    child_id: uuid.UUID
    first_name: str
    last_name: str
    booking_id: uuid.UUID
    activity_id: uuid.UUID
    activity_name: str
    day: date
    unit_price_cents: int
    quantity: int
    total_cents: int
    credit_of: uuid.UUID | None = None
    invoice_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Booked:
    """An accepted booking to charge, as a transmission or a republished booking state says it."""

    booking_id: uuid.UUID
    family_id: uuid.UUID
    structure_id: uuid.UUID
    child_id: uuid.UUID
    first_name: str
    last_name: str
    activity_id: uuid.UUID
    activity_name: str
    day: date
    arrival: time | None = None
    departure: time | None = None
    price: Price | None = None  # the price the transmission settled (and the family's follow-up shows)


def carried(line) -> Price | None:
    """The price a transmitted line (or a republished booking state) carries; None when it carries none (a
    day without a tariff at booking, an event of a producer before 0.2): the line is then priced here."""
    if line.unit_price_cents is None or line.quantity is None or line.total_cents is None:
        return None
    return Price(line.unit_price_cents, line.quantity, line.total_cents)


def is_charged(kind: str, outcome: str) -> bool:
    """A transmitted line is paid for when it is an accepted booking; waiting list and refusal cost nothing."""
    return kind == "reserve" and outcome == "accepted"


def ranks(siblings: Sequence[Child]) -> dict[uuid.UUID, int]:
    """Each child's rank in the family (the eldest is 1), for the reduced price."""
    return child_ranks([(c.id, c.birth_date) for c in siblings])


def charge(booked: Booked, consumption_id: uuid.UUID, versions: Sequence[Tariff], quotient: int | None,
           rank: int) -> tuple[Consumption, bool]:
    """The consumption line of an accepted booking, and whether it is priced: at the price its transmission
    carries (the one the family was shown: one line, one price), else with the tariff of the day, the
    quotient and the rank billing knows; without either, the line is recorded at 0 until staff publish one."""
    found = booked.price or price(versions, booked.day, quotient, rank, booked.arrival, booked.departure)
    unit, quantity, total = found if found else (0, 1, 0)
    return Consumption(
        id=consumption_id, family_id=booked.family_id, structure_id=booked.structure_id, child_id=booked.child_id,
        first_name=booked.first_name, last_name=booked.last_name, booking_id=booked.booking_id,
        activity_id=booked.activity_id, activity_name=booked.activity_name, day=booked.day,
        unit_price_cents=unit, quantity=quantity, total_cents=total), found is not None


def removal_notice_id(charge_id: uuid.UUID) -> uuid.UUID:
    """A charge cancelled before invoicing is deleted; other systems are told by a credit of the same
    amount whose identifier is derived from the charge (the same notice if told twice)."""
    return uuid.uuid5(charge_id, "cancelled")


def credit(charge_line: Consumption, credit_id: uuid.UUID) -> Consumption:
    """The credit of an invoiced charge: the same line with negative quantity and amount."""
    return replace(charge_line, id=credit_id, quantity=-charge_line.quantity, total_cents=-charge_line.total_cents,
                   credit_of=charge_line.id, invoice_id=None)


def recorded(line: Consumption) -> BillingConsumptionRecordedV1:
    """The event telling the treasury and other systems of a line (a negative total is a credit)."""
    return BillingConsumptionRecordedV1(
        consumption_id=line.id, family_id=line.family_id, structure_id=line.structure_id, child_id=line.child_id,
        booking_id=line.booking_id, activity_id=line.activity_id, activity_name=line.activity_name, date=line.day,
        unit_price_cents=line.unit_price_cents, quantity=line.quantity, total_cents=line.total_cents)
