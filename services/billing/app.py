import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from contracts import BookingTransmittedV1
from contracts.auth import AuthFamilyChangedV1, AuthStructureChangedV1
from contracts.booking import BookingStateV1
from contracts.consistency import AuthFactsDigestV1, BookingFactsDigestV1, DossierFactsDigestV1
from contracts.dossier import DossierFamilyUpdatedV1
from kit.service import Service, Subscription
from services.billing import api, demo, handlers, invoicing, resync
from services.billing.provider import TestProvider
from services.billing.settings import BillingSettings

__all__ = ["BillingSettings", "service"]


def routes(app) -> None:
    api.routes(app)
    from kit import consistency
    from kit.service import APP_KEY

    consistency.consumer_routes(app, lambda request: request.app[APP_KEY].pool)


async def provider_ctx(app):
    from kit.service import APP_KEY

    settings = app[APP_KEY].settings
    # Only the local test provider exists so far, and only where development asks for it: elsewhere the
    # portal offers no online payment rather than one anybody could settle.
    app[api.PROVIDER] = (TestProvider(settings.payment_provider_secret, settings.public_url)
                         if settings.test_payment_provider else None)
    yield


async def issue_invoices(settings: BillingSettings, pool) -> None:
    """`python -m services.billing issue-invoices`: last month's invoices (PORTAIL_INVOICE_MONTH to choose)."""
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    month = settings.invoice_month or (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    try:
        invoicing.month_range(month)
    except invoicing.InvalidMonth as exc:
        print(f"PORTAIL_INVOICE_MONTH : {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    report = await invoicing.issue_month(pool, month, today, settings.invoice_due_days)
    print(f"Factures {month} : {report.invoices} émises, {report.total_cents / 100:.2f} € au total.")


service = Service(
    name="billing",
    migrations_dir=Path(__file__).parent / "migrations",
    settings_cls=BillingSettings,
    routes=routes,
    subscriptions=[
        Subscription(BookingTransmittedV1, handlers.on_booking_transmitted),
        Subscription(AuthFamilyChangedV1, handlers.on_family_changed),
        Subscription(AuthStructureChangedV1, handlers.on_structure_changed),
        Subscription(DossierFamilyUpdatedV1, handlers.on_family_updated),
        Subscription(BookingStateV1, resync.on_booking_state),
        Subscription(AuthFactsDigestV1, resync.check_auth),
        Subscription(DossierFactsDigestV1, resync.check_dossier),
        Subscription(BookingFactsDigestV1, resync.check_booking),
    ],
    contexts=[provider_ctx],
    commands={"issue-invoices": issue_invoices, "demo": demo.load},
)
