from pathlib import Path

from pydantic import Field

from contracts.auth import AuthFamilyChangedV1, AuthStructureChangedV1
from contracts.billing import BillingTariffPublishedV1
from contracts.consistency import (
    AuthFactsDigestV1,
    BookingFactsDigestV1,
    ConsistencyCheckRequestedV1,
    DossierFactsDigestV1,
)
from contracts.dossier import DossierFamilyUpdatedV1, DossierHouseRulesSignedV1
from kit import consistency
from kit.service import APP_KEY, Service, Subscription
from kit.settings import ServiceSettings
from services.booking import api, demo, projections, resync, transmission


class BookingSettings(ServiceSettings):
    # shorter than the gateway's wait for a service (10 s): a basket is recorded whole, or not at all
    confirm_deadline_seconds: float = Field(default=8.0, gt=0, le=60)


async def transmit(_settings, pool) -> None:
    """`python -m services.booking transmit`: the nightly transmission (a CronJob on Kubernetes)."""
    from kit.logging import get_logger

    report = await transmission.run(pool)
    get_logger("booking").info("transmission done", transmission_id=str(report.transmission_id),
                               families=report.families, events=report.events, lines=report.lines)
    print(f"Transmission {report.transmission_id} : {report.families} familles, {report.lines} mouvements.")


def routes(app) -> None:
    api.routes(app)
    pool = lambda request: request.app[APP_KEY].pool
    consistency.owner_routes(app, pool, resync.OWNER, BookingFactsDigestV1, resync.QUERIES, resync.NAMES,
                             resync.resync)
    consistency.consumer_routes(app, pool)


service = Service(
    name="booking",
    migrations_dir=Path(__file__).parent / "migrations",
    settings_cls=BookingSettings,
    routes=routes,
    subscriptions=[
        Subscription(AuthStructureChangedV1, projections.on_structure_changed),
        Subscription(AuthFamilyChangedV1, projections.on_family_changed),
        Subscription(DossierHouseRulesSignedV1, projections.on_house_rules_signed),
        Subscription(BillingTariffPublishedV1, projections.on_tariff_published),
        Subscription(DossierFamilyUpdatedV1, projections.on_family_updated),
        Subscription(ConsistencyCheckRequestedV1, resync.digest_on_request),
        Subscription(AuthFactsDigestV1, projections.check_auth),
        Subscription(DossierFactsDigestV1, projections.check_dossier),
    ],
    commands={"transmit": transmit, "demo": demo.load},
)
service.commands["resync"] = consistency.resync_command("booking", resync.resync, lambda: service.args)
