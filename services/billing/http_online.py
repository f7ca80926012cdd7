"""billing's internal API for online payment through eopayment, thin: the family starting to pay, the
backend's notification and the return from the bank (the query as the bank sent it, relayed by the
gateway), a structure's backend and options (staff; secrets masked), and the online transactions staff
see. The rules are in services/billing/service/online_payments.py and services/billing/domain/online.py."""

from __future__ import annotations

import uuid

from aiohttp import web
from pydantic import BaseModel, Field

from kit import clock
from kit.fr import euros
from kit.http import identity_of, json_response, path_uuid, read_model
from kit.service import APP_KEY
from services.billing.backends import Backends
from services.billing.domain.online import STATE_LABELS, OnlineTransaction
from services.billing.service import OUTBOX, online_payments
from services.billing.store import Store

BACKENDS = web.AppKey("backends", Backends)
MAX_QUERY = 64 * 1024


def _store(request: web.Request) -> Store:
    return Store(request.app[APP_KEY].pool)


def transaction_json(t: OnlineTransaction) -> dict:
    return {"payment_id": str(t.payment_id), "structure_id": str(t.structure_id), "family_id": str(t.family_id),
            "backend": t.backend, "transaction_id": t.transaction_id, "invoice_number": t.invoice_number,
            "amount_cents": t.amount_cents, "amount": euros(t.amount_cents), "state": t.state,
            "state_label": STATE_LABELS.get(t.state, t.state), "bank_status": t.bank_status,
            "notifications": t.notifications, "created_at": t.created_at.isoformat() if t.created_at else None,
            "updated_at": t.updated_at.isoformat() if t.updated_at else None}


class OnlineIn(BaseModel):
    invoice_id: uuid.UUID
    email: str = Field(default="", max_length=200, description="l'adresse de la famille (PayFiP en demande une)")


async def start_online_payment(request: web.Request) -> web.Response:
    body = await read_model(request, OnlineIn)
    url = await online_payments.start_online(_store(request), request.app[BACKENDS], identity_of(request),
                                             online_payments.OnlineStart(body.invoice_id, body.email),
                                             clock.utc_now())
    return json_response({"redirect_url": url}, status=201)


async def _answered(request: web.Request, notification: bool) -> web.Response:
    """The query string (or form body) the bank sent, as the gateway relayed it."""
    structure_id = path_uuid(request, "structure_id", "Structure")
    query = (await request.read())[:MAX_QUERY].decode("utf-8", "replace")
    found = await online_payments.bank_answered(_store(request), OUTBOX, request.app[BACKENDS], identity_of(request),
                                                structure_id, query, clock.utc_now(), notification=notification)
    return json_response({"state": found.state, "result": found.result, "state_label": STATE_LABELS.get(found.state, found.state),
                          "return_content": found.return_content})


async def notification(request: web.Request) -> web.Response:
    return await _answered(request, True)


async def bank_return(request: web.Request) -> web.Response:
    return await _answered(request, False)


async def backend_form(request: web.Request) -> web.Response:
    structure_id = path_uuid(request, "structure_id", "Structure")
    form = await online_payments.backend_form(_store(request), request.app[BACKENDS], identity_of(request),
                                              structure_id, request.query.get("backend"))
    return json_response({
        "backend": form.backend, "chosen": form.chosen,
        "backends": [{"name": n, "caption": c} for n, c in form.backends],
        "parameters": [{"name": p.name, "caption": p.caption, "required": p.required, "default": p.default,
                        "choices": list(p.choices), "kind": p.kind, "secret": p.secret,
                        "value": form.shown.get(p.name, "")} for p in form.parameters]})


class BackendIn(BaseModel):
    backend: str = Field(min_length=1, max_length=40)
    options: dict[str, str] = Field(default_factory=dict, max_length=40)


async def save_backend(request: web.Request) -> web.Response:
    structure_id = path_uuid(request, "structure_id", "Structure")
    body = await read_model(request, BackendIn)
    await online_payments.save_backend(_store(request), request.app[BACKENDS], identity_of(request), structure_id,
                                       body.backend, body.options, clock.utc_now())
    return web.Response(status=204)


async def staff_transactions(request: web.Request) -> web.Response:
    found = await online_payments.staff_transactions(_store(request), identity_of(request))
    return json_response({"transactions": [{**transaction_json(t), "structure_name": structure, "family": family}
                                           for t, structure, family in found]})


def routes(app: web.Application) -> None:
    settings = app[APP_KEY].settings
    app[BACKENDS] = Backends(settings.public_url, settings.development)
    r = app.router
    r.add_post("/v1/payments/online", start_online_payment)
    r.add_get("/v1/payments/online", staff_transactions)
    r.add_post("/v1/payments/notification/{structure_id}", notification)
    r.add_post("/v1/payments/return/{structure_id}", bank_return)
    r.add_get("/v1/payment-backends/{structure_id}", backend_form)
    r.add_put("/v1/payment-backends/{structure_id}", save_backend)
