"""The « attestation de frais de garde » (the childcare costs a family declares for the income-tax credit):
which years may be certified, which children get one, and how the year's payments are allotted to them.

- A year is certified once it has begun: a past year in full, the current one with the payments received
  so far (the certificate then says up to which day). The payments counted are those received (Paris
  day) in the calendar year, in the certificate's structure.
- A child gets a certificate when under six on 1 January of the year (born after the 1st of January six
  years earlier) and something was paid for it, in that year, for an eligible activity (staff choose the
  eligible activities of their structure).
- A payment is allotted by the invoices it paid: each of its allocations to an invoice is spread over
  that invoice's lines grouped per (child, activity), in proportion to each group's net amount (a group
  whose credits exceed its charges counts as nothing), the cents by largest remainder so that the shares
  add up to the allocation exactly. The part of a payment allocated to no invoice (a credit left with the
  structure) paid for no childcare yet: it is on no certificate.
So a certificate's total is exactly the part of the year's payments that paid that child's eligible lines.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from services.billing.domain.errors import BadRequest

__all__ = [
    "FIRST_YEAR",
    "Allocation",
    "Certificate",
    "CertifiedChild",
    "InvoiceGroup",
    "allot",
    "certificates",
    "certified_until",
    "checked_year",
    "under_six",
]

FIRST_YEAR = 2000


@dataclass(frozen=True)
class CertifiedChild:
    id: uuid.UUID
    family_id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date


@dataclass(frozen=True)
class Allocation:
    """The part of a payment received in the year that paid one invoice."""

    family_id: uuid.UUID
    invoice_id: uuid.UUID
    amount_cents: int


@dataclass(frozen=True)
class InvoiceGroup:
    """An invoice's lines of one child for one activity: their net amount (charges less credits)."""

    invoice_id: uuid.UUID
    child_id: uuid.UUID
    activity_id: uuid.UUID
    total_cents: int


@dataclass(frozen=True)
class Certificate:
    """One child's certificate for a year in a structure: the amount paid per eligible activity."""

    year: int
    child: CertifiedChild
    lines: tuple[tuple[uuid.UUID, str, int], ...]  # (activity, its name, cents), by name

    @property
    def total_cents(self) -> int:
        return sum(cents for _, _, cents in self.lines)


def checked_year(raw: str | int | None, today: date) -> int:
    """The year asked for (AAAA), which must have begun; by default last year."""
    if raw is None or raw == "":
        return today.year - 1
    text = str(raw).strip()
    if not text.isdigit() or len(text) != 4:
        raise BadRequest("Année invalide : format attendu AAAA (ex. 2026).")
    year = int(text)
    if year < FIRST_YEAR or year > today.year:
        raise BadRequest(f"Année invalide : entre {FIRST_YEAR} et {today.year}.")
    return year


def certified_until(year: int, today: date) -> date:
    """The last day whose payments the certificate counts: the 31st of December, or today in the year."""
    return min(date(year, 12, 31), today)


def under_six(birth_date: date, year: int) -> bool:
    """Under six on 1 January of ``year``: a child born on 1 January six years before is already six."""
    return birth_date > date(year - 6, 1, 1)


def allot(amount_cents: int, groups: Sequence[InvoiceGroup]) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    """One allocation to an invoice spread over the invoice's (child, activity) groups in proportion to their
    positive net amounts, largest remainder first (ties by child then activity), adding up to the amount.
    Nothing to spread over (only credits): nothing allotted."""
    weights = [(g.child_id, g.activity_id, g.total_cents) for g in groups if g.total_cents > 0]
    whole = sum(w for _, _, w in weights)
    if amount_cents <= 0 or whole <= 0:
        return {}
    amount = min(amount_cents, whole)  # an invoice is never paid beyond its lines (allocate() sees to it)
    shares = {(c, a): amount * w // whole for c, a, w in weights}
    left = amount - sum(shares.values())
    by_remainder = sorted(weights, key=lambda t: (-(amount * t[2] % whole), str(t[0]), str(t[1])))
    for child_id, activity_id, _ in by_remainder[:left]:
        shares[(child_id, activity_id)] += 1
    return shares


def certificates(year: int, children: Iterable[CertifiedChild], allocations: Iterable[Allocation],
                 groups: Iterable[InvoiceGroup], eligible: Collection[uuid.UUID],
                 activity_names: Mapping[uuid.UUID, str]) -> list[Certificate]:
    """The year's certificates of a structure (by family then child): for each child under six on 1 January,
    the allotted payments of the year for its eligible activities; a child with nothing paid gets none."""
    by_invoice: dict[uuid.UUID, list[InvoiceGroup]] = defaultdict(list)
    for group in groups:
        by_invoice[group.invoice_id].append(group)
    paid: dict[tuple[uuid.UUID, uuid.UUID], int] = defaultdict(int)
    for allocation in allocations:
        for key, cents in allot(allocation.amount_cents, by_invoice.get(allocation.invoice_id, [])).items():
            paid[key] += cents
    found = []
    for child in sorted(children, key=lambda c: (str(c.family_id), c.last_name, c.first_name, str(c.id))):
        if not under_six(child.birth_date, year):
            continue
        lines = sorted(((activity_id, activity_names.get(activity_id, "Activité"), cents)
                        for (child_id, activity_id), cents in paid.items()
                        if child_id == child.id and activity_id in eligible and cents > 0),
                       key=lambda line: (line[1], str(line[0])))
        if lines:
            found.append(Certificate(year, child, tuple(lines)))
    return found
