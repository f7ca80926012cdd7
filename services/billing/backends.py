"""eopayment behind billing: the backends a structure may use and their parameters, the payment request,
the parsing and checking of a notification or return, and the status of a transaction. eopayment's calls
are blocking (requests, zeep): each runs in a thread (asyncio.to_thread), off the event loop.

The options handed to eopayment are the structure's (services/billing/domain/online.py cleans them) and the
portal's own return page and notification route; they are never logged. In development only, the `dummy`
backend's page (https://dummy-payment.entrouvert.com/, unreachable from here) is replaced by the
gateway's local page /paiement-dummy/, which takes the same query parameters and calls back."""

from __future__ import annotations

import asyncio
import gettext
import uuid
from collections.abc import Mapping
from pathlib import Path

import eopayment

from services.billing.domain import online as rules
from services.billing.domain.errors import CallbackRefused, OnlinePaymentOff

DUMMY_SERVICE = "https://dummy-payment.entrouvert.com/"
# eopayment's own French catalogue: its parameters' captions as staff read them
FRENCH = gettext.translation("django", localedir=Path(eopayment.__file__).parent / "locale", languages=["fr"],
                             fallback=True)


class Backends:
    """The eopayment backends, for the portal at `public_url`."""

    def __init__(self, public_url: str, development: bool):
        self.public_url, self.development = public_url.rstrip("/"), development

    def known(self) -> list[str]:
        return sorted(eopayment.get_backends())

    def usable(self) -> list[str]:
        return rules.usable_backends(self.known(), self.development)

    def caption(self, kind: str) -> str:
        return FRENCH.gettext(str(eopayment.get_backend(kind).description.get("caption", kind)))

    def parameters(self, kind: str) -> list[rules.Parameter]:
        described = eopayment.get_backend(kind).description["parameters"]
        return rules.form_parameters([{**p, "caption": FRENCH.gettext(str(p.get("caption") or p["name"]))}
                                      for p in described if p.get("name")])

    def has_status(self, kind: str) -> bool:
        return callable(getattr(eopayment.get_backend(kind), "payment_status", None))

    # -- the portal's own addresses -------------------------------------------------------------------------
    def return_url(self, structure_id: uuid.UUID) -> str:
        return f"{self.public_url}/paiement/retour/{structure_id}"

    def notification_url(self, structure_id: uuid.UUID) -> str:
        return f"{self.public_url}/api/v1/payments/notification/{structure_id}"

    def _payment(self, config: rules.BackendConfig) -> eopayment.Payment:
        rules.check_backend(config.backend, self.known(), self.development)
        options: dict[str, object] = {**config.options, "normal_return_url": self.return_url(config.structure_id),
                                      "automatic_return_url": self.notification_url(config.structure_id)}
        return eopayment.Payment(config.backend, options)

    # -- the calls ----------------------------------------------------------------------------------------------
    async def request(self, config: rules.BackendConfig, amount_cents: int, order_id: str, email: str,
                      subject: str) -> tuple[str, str]:
        """(transaction_id, the address to send the family to)."""

        def call():
            payment = self._payment(config)
            return payment.request(rules.amount_text(amount_cents), email=email or None, orderid=order_id,
                                   subject=subject)

        try:
            transaction_id, kind, data = await asyncio.to_thread(call)
        except Exception as exc:  # the bank's web service, the options: nothing is recorded
            raise OnlinePaymentOff("Le paiement en ligne n'a pas pu démarrer. Réessayez plus tard.") from exc
        if kind != eopayment.URL:
            raise OnlinePaymentOff("Ce module de paiement n'est pas pris en charge par le portail.")
        url = str(data)
        if config.backend == rules.DUMMY and url.startswith(DUMMY_SERVICE):
            url = f"{self.public_url}/paiement-dummy/" + url[len(DUMMY_SERVICE):]
        return str(transaction_id), url

    async def response(self, config: rules.BackendConfig, query: str) -> tuple[rules.BankAnswer, str | None, dict]:
        """A notification or a return, parsed and checked by eopayment: (answer, what to answer the bank,
        the bank's data for the audit log)."""
        try:
            r = await asyncio.to_thread(lambda: self._payment(config).response(query))
        except Exception as exc:  # eopayment.ResponseError, a malformed query
            raise CallbackRefused("Réponse du module de paiement illisible.") from exc
        return _answer(r), r.return_content, _plain(r.bank_data)

    async def status(self, config: rules.BackendConfig, transaction: rules.OnlineTransaction) -> rules.BankAnswer:
        """Ask the backend where a pending transaction stands (only where it can: has_status)."""
        try:
            r = await asyncio.to_thread(lambda: self._payment(config).payment_status(
                transaction.transaction_id, transaction_date=transaction.created_at))
        except Exception as exc:  # the bank's web service: asked again next time
            raise OnlinePaymentOff("Le module de paiement n'a pas répondu.") from exc
        answer = _answer(r)
        return rules.BankAnswer(transaction.transaction_id, answer.result, answer.signed, answer.amount_cents,
                                answer.bank_status)


def _plain(bank_data: Mapping | None) -> dict:
    return {str(k): (v if isinstance(v, str | int | float | bool | None) else str(v))
            for k, v in (bank_data or {}).items()}


def _answer(r) -> rules.BankAnswer:
    return rules.BankAnswer(transaction_id=str(r.transaction_id or ""), order_id=str(r.order_id or ""),
                            result=rules.RESULTS.get(r.result, "error"), signed=bool(r.signed),
                            amount_cents=rules.amount_cents_of(r.bank_data or {}),
                            bank_status=str(r.bank_status or "")[:200])
