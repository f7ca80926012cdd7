"""billing's declaration: its migrations, routes (services/billing/http.py and the consistency
verdicts), subscriptions (services/billing/events.py), the payment provider of its settings, and its
commands (issue-invoices, demo)."""

import sys
from pathlib import Path

from kit import clock, consistency
from kit.service import APP_KEY, Service, pool_of
from services.billing import demo, events, http
from services.billing.domain.errors import InvalidMonth, MonthNotClosed
from services.billing.provider import TestProvider
from services.billing.service import OUTBOX, invoices
from services.billing.settings import BillingSettings
from services.billing.store import Store

__all__ = ["BillingSettings", "service"]


def routes(app) -> None:
    http.routes(app)
    consistency.consumer_routes(app, pool_of)


async def provider_ctx(app):
    settings = app[APP_KEY].settings
    # Only the local test provider exists so far, and only where development asks for it: elsewhere the
    # portal offers no online payment rather than one anybody could settle.
    app[http.PROVIDER] = (TestProvider(settings.payment_provider_secret, settings.public_url)
                          if settings.test_payment_provider else None)
    yield


async def issue_invoices(settings: BillingSettings, pool) -> None:
    """`python -m services.billing issue-invoices`: last month's invoices (PORTAIL_INVOICE_MONTH to choose
    another closed month)."""
    try:
        report = await invoices.issue_month(Store(pool), OUTBOX, settings.invoice_month, clock.paris_today(),
                                            settings.invoice_due_days)
    except (InvalidMonth, MonthNotClosed) as exc:
        print(f"PORTAIL_INVOICE_MONTH : {exc.detail}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"Factures {report.month} : {report.invoices} émises, {report.total_cents / 100:.2f} € au total.")


service = Service(
    name="billing",
    migrations_dir=Path(__file__).parent / "migrations",
    settings_cls=BillingSettings,
    routes=routes,
    subscriptions=events.SUBSCRIPTIONS,
    contexts=[provider_ctx],
    commands={"issue-invoices": issue_invoices, "demo": demo.load},
)
