"""bench.digests's data: a town's night of transmitted movements (`family_contacts` and `digest_movements`
as notify's consumers would have left them), generated from a seed and loaded with COPY; the same events are
kept in memory for the build without the database."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

import asyncpg

from contracts import BookingTransmittedV1, TransmittedLine

FIRST_NAMES = ("Léa", "Hugo", "Chloé", "Louis", "Emma", "Gabriel", "Jade", "Raphaël", "Louise", "Arthur",
               "Alice", "Jules", "Inès", "Adam", "Lina", "Lucas", "Rose", "Nathan", "Mila", "Tom",
               "Zoé", "Éléonore", "Noé", "Anaïs")
LAST_NAMES = ("MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY",
              "MOREAU", "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX",
              "Élie", "N'DIAYE", "LE GALL", "DE LA FONTAINE")
STRUCTURES = (
    ("Mairie de CarteVille", ("APS MATIN", "APS SOIR", "RESTAURATION SCOLAIRE", "ACCUEIL DE LOISIRS MERCREDI",
                              "ÉTUDE SURVEILLÉE", "Accueil de loisirs vacances")),
    ("Centre social Les Tilleuls", ("MERCREDI JOURNÉE", "MERCREDI MATIN", "ATELIER THÉÂTRE",
                                    "SORTIE PISCINE")),
    ("Espace jeunesse Pasteur", ("ACCUEIL ADOS", "STAGE MULTISPORTS", "SÉJOUR NEIGE")),
)
MONTH = [date(2027, 9, 1) + timedelta(days=d) for d in range(30)]


@dataclass
class Sizes:
    families: int
    movements: int


@dataclass
class Dataset:
    contacts: list[tuple]  # family_contacts records
    movements: list[tuple]  # digest_movements records
    # (family_id, structure_id) -> (greeting, [events in received order]), for the in-memory build
    groups: dict[tuple[uuid.UUID, uuid.UUID], tuple[str, list[BookingTransmittedV1]]] = field(default_factory=dict)
    payloads: dict[tuple[uuid.UUID, uuid.UUID], list[str]] = field(default_factory=dict)
    lines: int = 0
    events: int = 0
    kinds: Counter = field(default_factory=Counter)


def make_dataset(s: Sizes, rng: random.Random) -> Dataset:
    """Contacts for every family; `s.movements` lines spread unevenly (a few busy families, many quiet
    ones) over the families, their children, 1-2 structures and 1-3 transmissions of the night."""
    ds = Dataset([], [])
    structures = [(uuid.UUID(int=rng.getrandbits(128)), name, activities) for name, activities in STRUCTURES]
    activity_ids = {a: uuid.UUID(int=rng.getrandbits(128)) for _, _, acts in structures for a in acts}
    # at least one line per family, the rest by an exponential weight
    per_family = [1] * s.families
    weights = [rng.expovariate(1.0) for _ in range(s.families)]
    for i in rng.choices(range(s.families), weights=weights, k=max(0, s.movements - s.families)):
        per_family[i] += 1
    night = datetime(2027, 8, 31, 0, 30, tzinfo=UTC)
    seq = 0
    for f in range(s.families):
        family_id = uuid.UUID(int=rng.getrandbits(128))
        last = rng.choice(LAST_NAMES)
        parent = rng.choice(FIRST_NAMES)
        emails = [f"famille{f}@example.fr"] + ([f"parent2.famille{f}@example.org"] if rng.random() < 0.4 else [])
        greeting = f"M. {last} {parent}" if rng.random() < 0.5 else f"Mme {last} {parent}"
        ds.contacts.append((family_id, uuid.UUID(int=rng.getrandbits(128)), emails, greeting))
        children = [(uuid.UUID(int=rng.getrandbits(128)), rng.choice(FIRST_NAMES),
                     last if rng.random() < 0.9 else rng.choice(LAST_NAMES)) for _ in range(rng.randint(1, 3))]
        n = per_family[f]
        if n >= 2 and rng.random() < 0.15:  # movements on two structures: two digests
            family_structures = rng.sample(structures, 2)
            first = rng.randint(1, n - 1)
            split = [first, n - first]
        else:
            family_structures, split = [rng.choices(structures, (8, 1, 1))[0]], [n]
        for (structure_id, structure_name, activities), count in zip(family_structures, split):
            acts = rng.sample(activities, min(len(activities), rng.randint(1, 3)))
            lines: list[TransmittedLine] = []
            for _ in range(count):
                child_id, first, child_last = rng.choice(children)
                activity = rng.choice(acts)
                if lines and rng.random() < 0.05:  # the same booking moved twice in the night
                    booking_id = lines[rng.randrange(len(lines))].booking_id
                else:
                    booking_id = uuid.UUID(int=rng.getrandbits(128))
                if rng.random() < 0.25:
                    kind, outcome = "cancel", "cancelled"
                else:
                    kind, outcome = "reserve", rng.choices(("accepted", "waitlisted", "refused"), (70, 15, 15))[0]
                timed = activity.startswith("ACCUEIL DE LOISIRS") and rng.random() < 0.5
                lines.append(TransmittedLine(
                    booking_id=booking_id, child_id=child_id, child_first_name=first, child_last_name=child_last,
                    activity_id=activity_ids[activity], activity_name=activity, date=rng.choice(MONTH),
                    kind=kind, outcome=outcome, arrival=dtime(8, 30) if timed else None,
                    departure=dtime(17, 0) if timed else None))
                ds.kinds[(kind, outcome)] += 1
            transmissions = min(len(lines), rng.choice((1, 1, 1, 2, 3)))
            cuts = sorted(rng.sample(range(1, len(lines)), transmissions - 1)) if transmissions > 1 else []
            key = (family_id, structure_id)
            events: list[BookingTransmittedV1] = []
            payloads: list[str] = []
            for chunk_start, chunk_end in zip([0, *cuts], [*cuts, len(lines)]):
                seq += 1
                at = night + timedelta(seconds=seq % 7200, microseconds=seq)
                event = BookingTransmittedV1(
                    transmission_id=uuid.UUID(int=rng.getrandbits(128)), family_id=family_id,
                    structure_id=structure_id, structure_name=structure_name, transmitted_at=at,
                    lines=lines[chunk_start:chunk_end])
                payload = event.model_dump_json()
                ds.movements.append((uuid.UUID(int=rng.getrandbits(128)), event.transmission_id, family_id,
                                     structure_id, structure_name, payload, at + timedelta(seconds=3)))
                events.append(event)
                payloads.append(payload)
            ds.groups[key] = (greeting, events)
            ds.payloads[key] = payloads
            ds.lines += len(lines)
            ds.events += len(events)
    return ds


async def load(conn: asyncpg.Connection, ds: Dataset) -> None:
    await conn.copy_records_to_table("family_contacts", records=ds.contacts,
                                     columns=["family_id", "account_id", "emails", "greeting"])
    await conn.copy_records_to_table(
        "digest_movements", records=ds.movements,
        columns=["event_id", "transmission_id", "family_id", "structure_id", "structure_name", "payload",
                 "received_at"])
    await conn.execute("ANALYZE family_contacts; ANALYZE digest_movements")
