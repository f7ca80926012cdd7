"""The payment methods are written once, in contracts/billing.py: billing's request model, the public API's
and the event accept exactly those codes, each with its French label."""

from __future__ import annotations

import typing

from contracts.api.billing import PaymentIn as PublicPaymentIn
from contracts.billing import (
    ONLINE_PAYMENT,
    PAYMENT_METHOD_LABELS,
    PAYMENT_METHODS,
    BillingPaymentReceivedV1,
    DeskMethod,
)
from services.billing.http import PaymentIn


def _enum(model, field: str) -> list[str]:
    return model.model_json_schema()["properties"][field]["enum"]


def test_one_list_of_payment_methods_with_their_french_labels():
    assert PAYMENT_METHODS == (("cash", "Espèces"), ("cheque", "Chèque"), ("card", "Carte bancaire"),
                               ("cesu", "CESU"), ("transfer", "Virement"))
    desk = [code for code, _label in PAYMENT_METHODS]
    assert list(typing.get_args(DeskMethod)) == desk
    assert _enum(PaymentIn, "method") == _enum(PublicPaymentIn, "method") == desk
    assert _enum(BillingPaymentReceivedV1, "method") == [*desk, "online"]
    assert PAYMENT_METHOD_LABELS["online"] == ONLINE_PAYMENT[1] == "Paiement en ligne"
