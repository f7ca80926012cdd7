"""billing's declaration: its migrations, routes (services/billing/http.py and the consistency
verdicts), subscriptions (services/billing/events.py), and its commands (issue-invoices, demo,
reconcile-payments)."""

import sys
from pathlib import Path

from kit import clock, consistency
from kit.service import Service, pool_of
from services.billing import demo, events, http, tax_http
from services.billing.backends import Backends
from services.billing.domain.errors import InvalidMonth, MonthNotClosed
from services.billing.service import OUTBOX, invoices, online_payments
from services.billing.settings import BillingSettings
from services.billing.store import Store

__all__ = ["BillingSettings", "service"]


def routes(app) -> None:
    http.routes(app)
    tax_http.routes(app)  # the tax certificates (issue 19)
    consistency.consumer_routes(app, pool_of)


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


async def reconcile_payments(settings: BillingSettings, pool) -> None:
    """`python -m services.billing reconcile-payments`: online transactions left pending are asked for
    (payment_status, where the backend can) or expire after PORTAIL_PAYMENT_EXPIRY_MINUTES."""
    report = await online_payments.reconcile(Store(pool), OUTBOX, Backends(settings.public_url, settings.development),
                                             clock.utc_now(), settings.payment_expiry_minutes)
    print(f"Paiements en ligne en attente : {report.asked} vérifiés auprès du module de paiement, "
          f"{report.paid} payés, {report.closed} refusés ou annulés, {report.expired} expirés.")


service = Service(
    name="billing",
    migrations_dir=Path(__file__).parent / "migrations",
    settings_cls=BillingSettings,
    routes=routes,
    subscriptions=events.SUBSCRIPTIONS,
    commands={"issue-invoices": issue_invoices, "demo": demo.load, "demo-history": demo.load_history,
              "reconcile-payments": reconcile_payments},
)
