"""The « attestations de frais de garde »: staff choose their structure's eligible activities and the details
printed at the top, issue a year in one go (its families may then download their certificates), read the
year's list and print them all; a family reads its own. The amounts are computed from the payments
recorded each time (services/billing/domain/tax_certificates.py), never stored, so they always equal them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from kit import clock
from kit.identity import Identity
from services.billing import access
from services.billing.domain import tax_certificates as rules
from services.billing.domain.errors import BadRequest, Unknown
from services.billing.store import Store, Tx

MAX_DETAILS = 1000


@dataclass(frozen=True)
class Settings:
    structure_name: str
    details: str
    activities: list[tuple[uuid.UUID, str, bool]]  # (activity, name, eligible), by name
    issued: list[tuple[int, date]]  # (year, issued on), the latest year first


@dataclass(frozen=True)
class YearCertificates:
    """A structure's certificates of a year, with what their PDF prints."""

    structure_id: uuid.UUID
    structure_name: str
    details: str
    year: int
    until: date
    issued_on: date | None
    certificates: list[rules.Certificate]
    family_labels: dict[uuid.UUID, str] = field(default_factory=dict)

    @property
    def total_cents(self) -> int:
        return sum(c.total_cents for c in self.certificates)


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    """The calendar year as instants, in Paris (a payment at 00:30 on 1 January is of the new year)."""
    return (datetime.combine(date(year, 1, 1), time(), tzinfo=clock.PARIS),
            datetime.combine(date(year + 1, 1, 1), time(), tzinfo=clock.PARIS))


async def _year(tx: Tx, structure_id: uuid.UUID, year: int, today: date,
                family_id: uuid.UUID | None = None) -> YearCertificates:
    allocations = await tx.year_allocations(structure_id, *_year_bounds(year), family_id=family_id)
    families = {a.family_id for a in allocations}
    found = rules.certificates(year, await tx.certified_children(families), allocations,
                               await tx.invoice_groups(a.invoice_id for a in allocations),
                               await tx.eligible_activities(structure_id), await tx.structure_activities(structure_id))
    issued = {y: on for s, y, on in await tx.issued_tax_years([structure_id])}
    return YearCertificates(structure_id, await tx.structure_name(structure_id), await tx.issuer_details(structure_id),
                            year, rules.certified_until(year, today), issued.get(year), found,
                            await tx.family_labels(families))


# -- staff -----------------------------------------------------------------------------------------------------
async def settings(store: Store, who: Identity, structure_id: uuid.UUID) -> Settings:
    access.tax_staff(who, structure_id)
    async with store.reading() as tx:
        names = await tx.structure_activities(structure_id)
        eligible = await tx.eligible_activities(structure_id)
        return Settings(await tx.structure_name(structure_id), await tx.issuer_details(structure_id),
                        sorted(((a, n, a in eligible) for a, n in names.items()), key=lambda t: (t[1], str(t[0]))),
                        [(y, on) for _, y, on in await tx.issued_tax_years([structure_id])])


async def save_settings(store: Store, who: Identity, structure_id: uuid.UUID, details: str,
                        eligible: Iterable[uuid.UUID]) -> None:
    """The structure's details (printed at the top) and its eligible activities, among those billing knows
    there: an activity of another structure is refused and nothing changes."""
    access.tax_staff(who, structure_id)
    details = details.strip()
    if len(details) > MAX_DETAILS:
        raise BadRequest(f"Coordonnées trop longues : {MAX_DETAILS} caractères au plus.")
    async with store.transaction() as tx:
        known = await tx.structure_activities(structure_id)
        chosen = list(dict.fromkeys(eligible))
        if any(a not in known for a in chosen):
            raise Unknown("Activité introuvable dans cette structure : rien n'a été enregistré.")
        await tx.set_eligible_activities(structure_id, chosen)
        await tx.save_issuer_details(structure_id, details, clock.utc_now())


async def issue(store: Store, who: Identity, structure_id: uuid.UUID, raw_year: str | int | None,
                today: date) -> tuple[YearCertificates, bool]:
    """Issue the year for the structure (its families may download their certificates from then on);
    issuing it again changes nothing. Returns the year's certificates and whether it was issued now."""
    access.tax_staff(who, structure_id)
    year = rules.checked_year(raw_year, today)
    async with store.transaction() as tx:
        issued = await tx.issue_tax_year(structure_id, year, who.subject, clock.utc_now())
        return await _year(tx, structure_id, year, today), issued


async def year_of(store: Store, who: Identity, structure_id: uuid.UUID, raw_year: str | int | None,
                  today: date) -> YearCertificates:
    """The structure's certificates of a year, issued or not yet (staff check them before issuing)."""
    access.tax_staff(who, structure_id)
    year = rules.checked_year(raw_year, today)
    async with store.reading() as tx:
        return await _year(tx, structure_id, year, today)


# -- the family, and one certificate -------------------------------------------------------------------------
async def of_family(store: Store, who: Identity, today: date) -> list[YearCertificates]:
    """The family's certificates of every year issued by a structure it has something in, latest first."""
    family_id = access.tax_family(who)
    async with store.reading() as tx:
        structures = sorted(await tx.family_structures(family_id), key=str)
        found = []
        for structure_id, year, _ in await tx.issued_tax_years(structures):
            certificates = await _year(tx, structure_id, year, today, family_id)
            if certificates.certificates:
                found.append(certificates)
        return found


async def one(store: Store, who: Identity, structure_id: uuid.UUID, raw_year: str, child_id: uuid.UUID,
              today: date) -> YearCertificates:
    """One child's certificate of a year (its PDF); not found when the child has none that year."""
    async with store.reading() as tx:
        child = next(iter(await tx.certified_children_by_id([child_id])), None)
        access.tax_certificate(who, child.family_id if child else None, structure_id)
        year = rules.checked_year(raw_year, today)
        access.tax_year_visible(who, any(y == year for _, y, _ in await tx.issued_tax_years([structure_id])))
        found = await _year(tx, structure_id, year, today, child.family_id)
    mine = [c for c in found.certificates if c.child.id == child_id]
    if not mine:
        raise Unknown("Attestation introuvable.")
    return YearCertificates(found.structure_id, found.structure_name, found.details, year, found.until,
                            found.issued_on, mine, found.family_labels)
