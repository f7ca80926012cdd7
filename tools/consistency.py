"""The consistency check of the projections, for operators.

    uv run python -m tools.consistency [--timeout 60]

Publishes the command consistency.check_requested.v1 on the internal exchange; each owner of facts (auth,
dossier, booking) answers with the digest of its facts (counts and checksums per structure); each consumer
(booking, billing, dossier, notify) compares it with its projection and publishes its verdict, which this
command gathers and prints in French. It reads no database.

Exit status: 0 every projection matches its owner's facts; 1 differences were found (run the resync:
`uv run python -m services.<owner> resync --all`); 2 some verdicts did not arrive in time (a service is
stopped or its queue is late); 3 RabbitMQ unreachable.

Environment: PORTAIL_AMQP_URL (RabbitMQ, as the services read it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aio_pika

from contracts.consistency import (
    AuthFactsDigestV1,
    BookingFactsDigestV1,
    ConsistencyCheckRequestedV1,
    ConsistencyVerdictV1,
    DossierFactsDigestV1,
)
from contracts.envelope import Envelope, wrap
from kit.bus import INTERNAL_EXCHANGE

DIGESTS = {AuthFactsDigestV1: "auth", DossierFactsDigestV1: "dossier", BookingFactsDigestV1: "booking"}


def expected_pairs() -> set[tuple[str, str]]:
    """(consumer, owner) for every consumer subscribed to an owner's digest, from the services' declarations."""
    from services.auth.app import service as auth
    from services.billing.app import service as billing
    from services.booking.app import service as booking
    from services.dossier.app import service as dossier
    from services.notify.app import service as notify

    return {(svc.name, DIGESTS[sub.message]) for svc in (auth, booking, dossier, notify, billing)
            for sub in svc.subscriptions if sub.message in DIGESTS}


@dataclass
class Report:
    check_id: uuid.UUID
    verdicts: list[ConsistencyVerdictV1] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not self.missing and all(v.consistent for v in self.verdicts)

    def lines(self) -> list[str]:
        out = [f"Contrôle de cohérence {self.check_id}"]
        for v in sorted(self.verdicts, key=lambda v: (v.consumer, v.owner)):
            if v.consistent:
                out.append(f"  ✓ {v.consumer} : la projection des faits de {v.owner} est conforme.")
            else:
                out.extend(f"  ✗ {d.text}" for d in v.differences)
        for consumer, owner in sorted(self.missing):
            out.append(f"  ? {consumer} : pas de verdict sur les faits de {owner} (service arrêté ou en retard).")
        if self.consistent:
            out.append("Aucune différence : chaque projection est égale aux faits de son propriétaire.")
        elif not self.missing:
            out.append("Des différences ont été trouvées : lancez la resynchronisation des propriétaires concernés "
                       "(uv run python -m services.<propriétaire> resync --all), puis relancez ce contrôle.")
        return out


async def run_check(amqp_url: str, timeout: float = 60.0, expected: set[tuple[str, str]] | None = None) -> Report:
    """Ask for a check and gather the verdicts until every expected one arrived, or `timeout`."""
    expected = expected_pairs() if expected is None else expected
    report = Report(uuid.uuid4())
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(INTERNAL_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        # a queue of this run only, bound before the question is asked: no verdict is missed
        queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key=ConsistencyVerdictV1.routing_key())
        command = ConsistencyCheckRequestedV1(check_id=report.check_id, requested_at=datetime.now(UTC))
        envelope = wrap(command, producer="consistency")
        await exchange.publish(aio_pika.Message(
            envelope.model_dump_json().encode(), content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT, message_id=str(envelope.event_id),
            type=command.TYPE), routing_key=command.routing_key())
        received: dict[tuple[str, str], ConsistencyVerdictV1] = {}
        deadline = asyncio.get_running_loop().time() + timeout
        async with queue.iterator() as messages:
            while set(received) < expected:
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    break
                try:
                    message = await asyncio.wait_for(anext(messages), timeout=left)
                except TimeoutError:
                    break
                async with message.process():
                    verdict = Envelope[ConsistencyVerdictV1].model_validate_json(message.body).payload
                    if verdict.check_id == report.check_id:
                        received[(verdict.consumer, verdict.owner)] = verdict
    report.verdicts = list(received.values())
    report.missing = sorted(expected - set(received))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.consistency",
                                     description="Contrôle de cohérence des projections (voir docs/operations.md).")
    parser.add_argument("--timeout", type=float, default=60.0, help="attente maximale des verdicts, en secondes")
    options = parser.parse_args(argv)
    amqp_url = os.environ.get("PORTAIL_AMQP_URL")
    if not amqp_url:
        print("La variable d'environnement PORTAIL_AMQP_URL est obligatoire mais absente.", file=sys.stderr)
        return 3
    try:
        report = asyncio.run(run_check(amqp_url, options.timeout))
    except (OSError, aio_pika.exceptions.AMQPConnectionError) as exc:
        print(f"RabbitMQ injoignable ({exc.__class__.__name__}) : vérifiez PORTAIL_AMQP_URL.", file=sys.stderr)
        return 3
    print("\n".join(report.lines()))
    if report.missing:
        return 2
    return 0 if report.consistent else 1


if __name__ == "__main__":
    sys.exit(main())
