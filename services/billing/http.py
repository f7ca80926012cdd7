"""billing's internal API, thin: parse the request, call the service layer (services/billing/service/),
write the answer (amounts and dates in French with kit.fr). Tariffs (staff), consumptions history and its
exports, invoices, payments, balance (the online payment: services/billing/http_online.py). Refusals are raised by the service
layer and answered by the kit's problem middleware."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field

from contracts.billing import DeskMethod
from contracts.pricing import Bracket, Tariff
from kit import clock
from kit.fr import euros, month_year
from kit.http import identity_of, json_response, path_uuid, read_model
from kit.service import APP_KEY
from services.billing import http_online
from services.billing.exports import csv_bytes, filter_rows, row_of
from services.billing.pdf import InvoiceDoc, InvoiceLine, consumptions_pdf, invoice_pdf
from services.billing.service import OUTBOX, consumptions, invoices, payments, tariffs
from services.billing.store import Store


def _store(request: web.Request) -> Store:
    return Store(request.app[APP_KEY].pool)


def _settings(request: web.Request):
    return request.app[APP_KEY].settings


def period_label(day: date) -> str:
    """« Décembre 2019 »: the month of an invoice or of the history."""
    return month_year(day.year, day.month)


# -- tariffs -----------------------------------------------------------------------------------
class TariffIn(BaseModel):
    structure_id: uuid.UUID
    activity_id: uuid.UUID
    activity_name: str = Field(min_length=1, max_length=120)
    effective_from: date
    unit: Literal["session", "half_hour", "hour"] = "session"
    brackets: list[Bracket] = Field(min_length=1, max_length=20)
    reduced_from_rank: int | None = Field(default=None, ge=2)


async def publish_tariff(request: web.Request) -> web.Response:
    body = await read_model(request, TariffIn)
    tariff = Tariff(tariff_id=uuid.uuid4(), activity_id=body.activity_id, effective_from=body.effective_from,
                    unit=body.unit, brackets=body.brackets, reduced_from_rank=body.reduced_from_rank)
    await tariffs.publish(_store(request), OUTBOX, identity_of(request), body.structure_id, body.activity_name,
                          tariff)
    return json_response({"tariff_id": str(tariff.tariff_id)}, status=201)


async def tariff_history(request: web.Request) -> web.Response:
    """An activity's tariff versions (newest first), which one is in force today and which are to come."""
    try:
        structure_id, activity_id = uuid.UUID(request.query["structure_id"]), uuid.UUID(request.query["activity_id"])
    except (KeyError, ValueError):
        raise web.HTTPBadRequest(text="structure_id et activity_id attendus") from None
    today = clock.paris_today()
    versions, in_force = await tariffs.history(_store(request), identity_of(request), structure_id, activity_id,
                                               today)
    return json_response({"versions": [{
        "tariff_id": str(v.tariff_id), "effective_from": v.effective_from.isoformat(), "unit": v.unit,
        "reduced_from_rank": v.reduced_from_rank,
        "state": "in_force" if v == in_force else ("upcoming" if v.effective_from > today else "past"),
        "brackets": [{"qf_max": b.qf_max, "price": euros(b.price_cents),
                      "reduced_price": None if b.reduced_price_cents is None else euros(b.reduced_price_cents)}
                     for b in v.brackets]} for v in versions]})


# -- consumptions --------------------------------------------------------------------------------
async def _history(request: web.Request, with_label: bool = False):
    found = await consumptions.history(_store(request), identity_of(request), request.query.get("family_id"),
                                       request.query.get("month"), clock.paris_today(), with_label=with_label)
    return found, filter_rows([row_of(line) for line in found.lines], request.query.get("q", "")[:200])


async def consumptions_page(request: web.Request) -> web.Response:
    found, rows = await _history(request)
    total = sum(r.total_cents for r in rows)
    return json_response({
        "month": found.month, "label": period_label(found.start), "previous": found.previous, "next": found.next,
        "lines": [{"date": r.day.isoformat(), "day": r.day.strftime("%d/%m/%Y"), "last_name": r.last_name,
                   "first_name": r.first_name, "activity": r.activity, "unit_price": euros(r.unit_price_cents),
                   "quantity": r.quantity, "total": euros(r.total_cents), "total_cents": r.total_cents}
                  for r in rows],
        "total_cents": total, "total": euros(total),
        # issue 19: the month's days of justified absence, charged (waiting period) or not
        "absences": [{"date": d.day.isoformat(), "day": d.day.strftime("%d/%m/%Y"), "last_name": d.last_name,
                      "first_name": d.first_name, "activity": d.activity_name, "charged": d.charged,
                      "label": "Absence justifiée (délai de carence : facturée)" if d.charged
                      else "Absence justifiée : non facturée"} for d in found.absences]})


async def consumptions_csv(request: web.Request) -> web.Response:
    found, rows = await _history(request)
    body = csv_bytes(rows, f"Consommations {found.month}")
    return web.Response(body=body, content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="consommations-{found.month}.csv"'})


async def consumptions_pdf_export(request: web.Request) -> web.Response:
    found, rows = await _history(request, with_label=True)
    body = consumptions_pdf(rows, f"Historique des Consommations — {period_label(found.start)}", found.family_label)
    return web.Response(body=body, content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="consommations-{found.month}.pdf"'})


# -- invoices, payments, balance ---------------------------------------------------------------------
async def invoices_page(request: web.Request) -> web.Response:
    account = await invoices.account(_store(request), identity_of(request), request.query.get("family_id"),
                                     clock.paris_today())
    balance = account.balance
    usable = request.app[http_online.BACKENDS].usable()
    online = {s for s, b in account.online_backends.items() if b in usable}  # where paying online is offered
    return json_response({
        "invoices": [{"id": str(i.id), "number": i.number, "period": period_label(i.period_start),
                      "period_start": i.period_start.isoformat(), "issued_on": i.issued_on.isoformat(),
                      "due_on": i.due_on.isoformat(), "total_cents": i.total_cents, "paid_cents": i.paid_cents,
                      "remaining_cents": max(i.remaining_cents, 0), "status": status,
                      "status_label": invoices.STATUS_LABELS[status], "total": euros(i.total_cents),
                      "remaining": euros(max(i.remaining_cents, 0)), "online_payment": i.structure_id in online}
                     for i, status in account.invoices],
        "payments": [{"id": str(p.id), "amount": euros(p.amount_cents), "amount_cents": p.amount_cents,
                      "method": p.method, "reference": p.reference, "received_at": p.received_at.isoformat()}
                     for p in account.payments],
        "online_payment": bool(online),
        "online_transactions": [http_online.transaction_json(t) for t in account.online],
        "invoiced_cents": balance.invoiced_cents, "paid_cents": balance.paid_cents,
        "balance_cents": balance.balance_cents, "balance": euros(balance.balance_cents)})


async def invoice_document(request: web.Request) -> web.Response:
    invoice_id = path_uuid(request, "invoice_id", "Facture")
    found = await invoices.document(_store(request), identity_of(request), invoice_id)
    invoice = found.invoice
    doc = InvoiceDoc(number=invoice.number, family_label=found.family_label, structure=found.structure_name,
                     period_label=period_label(invoice.period_start), issued_on=invoice.issued_on,
                     due_on=invoice.due_on,
                     lines=[InvoiceLine(line.day, f"{line.last_name} {line.first_name}", line.activity_name,
                                        line.unit_price_cents, line.quantity, line.total_cents)
                            for line in found.lines],
                     total_cents=invoice.total_cents, paid_cents=invoice.paid_cents)
    return web.Response(body=invoice_pdf(doc), content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="facture-{invoice.number}.pdf"'})


class IssueIn(BaseModel):
    month: str | None = Field(default=None, max_length=20, description="AAAA-MM, a closed month; by default "
                                                                        "last month")


async def issue_invoices(request: web.Request) -> web.Response:
    invoices.may_issue(identity_of(request))  # (refused before the body is even read)
    body = await read_model(request, IssueIn)
    report = await invoices.issue_requested(_store(request), OUTBOX, identity_of(request), body.month,
                                            clock.paris_today())
    return json_response({"invoices": report.invoices, "total_cents": report.total_cents, "month": report.month})


class PaymentIn(BaseModel):
    family_id: uuid.UUID
    structure_id: uuid.UUID
    amount: str = Field(max_length=20, description="en euros, ex. 78,77")
    method: DeskMethod  # contracts.billing.PAYMENT_METHODS
    reference: str = Field(default="", max_length=80)


async def record_payment(request: web.Request) -> web.Response:
    body = await read_model(request, PaymentIn)
    payment = await payments.record_desk_payment(
        _store(request), OUTBOX, identity_of(request),
        payments.DeskPayment(body.family_id, body.structure_id, body.amount, body.method, body.reference),
        clock.utc_now())
    return json_response({"payment_id": str(payment.id), "reference": payment.reference}, status=201)


def routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/v1/tariffs", publish_tariff)
    r.add_get("/v1/tariffs", tariff_history)
    r.add_get("/v1/consumptions", consumptions_page)
    r.add_get("/v1/consumptions/export.csv", consumptions_csv)
    r.add_get("/v1/consumptions/export.pdf", consumptions_pdf_export)
    r.add_get("/v1/invoices", invoices_page)
    r.add_get("/v1/invoices/{invoice_id}/pdf", invoice_document)
    r.add_post("/v1/invoices/issue", issue_invoices)
    r.add_post("/v1/payments", record_payment)
    http_online.routes(app)
