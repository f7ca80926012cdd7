"""billing's settings: the portal's public address, the payment provider's secret, development mode (the
`dummy` payment backend), online payment expiry, invoice terms."""

from pydantic import Field

from kit.settings import ServiceSettings


class BillingSettings(ServiceSettings):
    # The portal's public address: online payments return there, and only there.
    public_url: str = "http://127.0.0.1:8080"
    # Shared with the payment provider, signs its callbacks: no default, ever (start refuses without it).
    payment_provider_secret: str = Field(min_length=32)
    # Development mode (make run, the tests): only there may a structure use eopayment's `dummy` backend
    # (whose page is the gateway's /paiement-dummy/). Never on Kubernetes.
    development: bool = False
    # An online transaction no backend has answered for expires after this delay (reconcile-payments).
    payment_expiry_minutes: int = Field(default=60, ge=5, le=7 * 24 * 60)
    invoice_due_days: int = Field(default=30, ge=1, le=120)
    invoice_month: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$")  # for the issue-invoices command
