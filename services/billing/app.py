from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field

from contracts import BookingTransmittedV1
from contracts.auth import AuthFamilyChangedV1, AuthStructureChangedV1
from contracts.dossier import DossierFamilyUpdatedV1
from kit.service import Service, Subscription
from kit.settings import ServiceSettings
from services.billing import api, demo, handlers, invoicing
from services.billing.provider import TestProvider


class BillingSettings(ServiceSettings):
    public_url: str = "http://127.0.0.1:8080"
    payment_provider_secret: str = Field(default="test-provider-secret-change-me-0123456789", min_length=32)
    payment_callback_url: str | None = None  # default: this service's own callback route
    invoice_due_days: int = Field(default=30, ge=1, le=120)
    invoice_month: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$")  # for the issue-invoices command


def routes(app) -> None:
    api.routes(app)


async def provider_ctx(app):
    from kit.service import APP_KEY

    settings = app[APP_KEY].settings
    app[api.PROVIDER] = TestProvider(settings.payment_provider_secret, settings.public_url)
    yield


async def issue_invoices(settings: BillingSettings, pool) -> None:
    """`python -m services.billing issue-invoices`: last month's invoices (PORTAIL_INVOICE_MONTH to choose)."""
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    month = settings.invoice_month or (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
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
    ],
    contexts=[provider_ctx],
    commands={"issue-invoices": issue_invoices, "demo": demo.load},
)
