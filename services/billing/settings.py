"""billing's settings: the portal's public address, the payment provider's secret and switch, invoice terms."""

from pydantic import Field

from kit.settings import ServiceSettings


class BillingSettings(ServiceSettings):
    # The portal's public address: online payments return there, and only there.
    public_url: str = "http://127.0.0.1:8080"
    # Shared with the payment provider, signs its callbacks: no default, ever (start refuses without it).
    payment_provider_secret: str = Field(min_length=32)
    payment_callback_url: str | None = None  # default: this service's own callback route
    # The local test payment provider (pages under /paiement-test/ in the gateway): development and tests
    # only. Off, there is no provider to pay with and its routes do not exist.
    test_payment_provider: bool = False
    invoice_due_days: int = Field(default=30, ge=1, le=120)
    invoice_month: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$")  # for the issue-invoices command
