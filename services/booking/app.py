"""booking's declaration: its migrations, internal routes, subscriptions and commands (kit.service.Service).

    python -m services.booking            run it (migrates first)
    python -m services.booking transmit   the nightly transmission (a CronJob on Kubernetes)
    python -m services.booking demo       the demo activities (make run)
    python -m services.booking demo-history  the demo family's past months, booked and transmitted
    python -m services.booking resync     republish the transmitted bookings' state
    python -m services.booking reminders  remind the families that have not booked a period (a CronJob)"""

from __future__ import annotations

from pathlib import Path

from contracts.auth import AuthFamilyChangedV1, AuthStructureChangedV1
from contracts.billing import BillingTariffPublishedV1
from contracts.consistency import (
    AuthFactsDigestV1,
    BookingFactsDigestV1,
    ConsistencyCheckRequestedV1,
    DossierFactsDigestV1,
)
from contracts.dossier import DossierFamilyUpdatedV1, DossierHouseRulesPublishedV1, DossierHouseRulesSignedV1
from kit import consistency
from kit.logging import get_logger
from kit.service import Service, Subscription, pool_of
from services.booking import demo, events, http
from services.booking.http import admission
from services.booking.service import reminders, transmission, warmup
from services.booking.settings import BookingSettings
from services.booking.store import Database

__all__ = ["BookingSettings", "service"]


async def transmit(_settings, pool) -> None:
    """`python -m services.booking transmit`: the nightly transmission (a CronJob on Kubernetes)."""
    report = await transmission.run(Database(pool))
    get_logger("booking").info("transmission done", transmission_id=str(report.transmission_id),
                               families=report.families, events=report.events, lines=report.lines)
    print(f"Transmission {report.transmission_id} : {report.families} familles, {report.lines} mouvements.")


async def remind(settings, pool) -> None:
    """`python -m services.booking reminders`: remind the families that have not booked a booking period whose
    deadline is near (a CronJob on Kubernetes; notify mails each once)."""
    report = await reminders.run(Database(pool), settings.reminder_days_before)
    print(f"Rappels de réservation : {report.reminders} famille(s) à rappeler sur {report.periods} période(s).")


def routes(app) -> None:
    http.routes(app)
    consistency.owner_routes(app, pool_of, events.OWNER, BookingFactsDigestV1, events.QUERIES, events.DIGEST_NAMES,
                             events.resync)
    consistency.consumer_routes(app, pool_of)


service = Service(
    name="booking",
    migrations_dir=Path(__file__).parent / "migrations",
    settings_cls=BookingSettings,
    routes=routes,
    subscriptions=[
        Subscription(AuthStructureChangedV1, events.on_structure_changed),
        Subscription(AuthFamilyChangedV1, events.on_family_changed),
        Subscription(DossierHouseRulesSignedV1, events.on_house_rules_signed),
        Subscription(DossierHouseRulesPublishedV1, events.on_house_rules_published),
        Subscription(BillingTariffPublishedV1, events.on_tariff_published),
        Subscription(DossierFamilyUpdatedV1, events.on_family_updated),
        Subscription(ConsistencyCheckRequestedV1, events.digest_on_request),
        Subscription(AuthFactsDigestV1, events.check_auth),
        Subscription(DossierFactsDigestV1, events.check_dossier),
    ],
    commands={"transmit": transmit, "demo": demo.load, "demo-history": demo.load_history},
    lean_pool_reset=True,  # its one session-level lock (the waiting room's gate) is marked: kit.db
    contexts=[warmup.warm, admission.workers],  # caches filled before serving; the waiting room's workers (ADR 0008)
)
service.commands["reminders"] = remind  # issue 19: the booking reminders
service.commands["resync"] = consistency.resync_command("booking", events.resync, lambda: service.args)
