"""billing's internal API: tariffs (staff), consumptions history and exports, invoices, payments,
balance, and the online payment flow. Who may see or change what is decided in
services/billing/access.py, and only there."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, Field

from contracts.billing import BillingTariffPublishedV1
from contracts.pricing import Bracket, Tariff
from kit import outbox
from kit.fr import euros, parse_euros
from kit.http import json_response, problem, read_model
from kit.service import APP_KEY
from services.billing import access, invoicing
from services.billing.exports import ConsumptionRow, csv_bytes, filter_rows
from services.billing.pdf import InvoiceDoc, InvoiceLine, consumptions_pdf, invoice_pdf
from services.billing.provider import InvalidCallback, TestProvider

PARIS = ZoneInfo("Europe/Paris")
PROVIDER = web.AppKey("provider", object)  # a PaymentProvider, or None: no online payment
MAX_PAYMENT_CENTS = 100_000_00  # 100 000,00 €: more is a typing error, not a payment


def _svc(request: web.Request):
    return request.app[APP_KEY]


def _today() -> date:
    return datetime.now(PARIS).date()


def _uuid(raw: str | None) -> uuid.UUID | None:
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise web.HTTPNotFound(text="Ressource introuvable.") from None


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
    async with _svc(request).pool.acquire() as conn, conn.transaction():
        await access.tariff_publisher(request, conn, body.structure_id, body.activity_id)
        done = await conn.fetchval(
            """INSERT INTO tariffs (id, structure_id, activity_id, activity_name, effective_from, body)
               VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT (structure_id, activity_id, effective_from) DO NOTHING
               RETURNING true""",
            tariff.tariff_id, body.structure_id, body.activity_id, body.activity_name, body.effective_from,
            tariff.model_dump_json())
        if not done:
            return problem(409, "Conflit", "Un tarif existe déjà pour cette activité à cette date de révision.")
        await outbox.add(conn, BillingTariffPublishedV1(structure_id=body.structure_id,
                                                        activity_name=body.activity_name, tariff=tariff),
                         producer="billing")
    return json_response({"tariff_id": str(tariff.tariff_id)}, status=201)


# -- consumptions --------------------------------------------------------------------------------
def _month(request: web.Request) -> tuple[str, date, date]:
    month = request.query.get("month") or _today().strftime("%Y-%m")
    try:
        start, end = invoicing.month_range(month)
    except invoicing.InvalidMonth as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return month, start, end


async def _rows(request: web.Request) -> tuple[uuid.UUID, str, list[ConsumptionRow]]:
    month, start, end = _month(request)
    async with _svc(request).pool.acquire() as conn:
        scope = await access.family_scope(request, conn)
        records = await conn.fetch(
            """SELECT day, last_name, first_name, activity_name, unit_price_cents, quantity, total_cents
               FROM consumptions WHERE family_id = $1 AND structure_id = ANY($2::uuid[]) AND day BETWEEN $3 AND $4
               ORDER BY day DESC, first_name, activity_name""", scope.family_id, scope.structure_ids, start, end)
    rows = [ConsumptionRow(r["day"], r["last_name"], r["first_name"], r["activity_name"], r["unit_price_cents"],
                           r["quantity"], r["total_cents"]) for r in records]
    return scope.family_id, month, filter_rows(rows, request.query.get("q", "")[:200])


async def consumptions(request: web.Request) -> web.Response:
    _family_id, month, rows = await _rows(request)
    start, _ = invoicing.month_range(month)
    previous = (start - timedelta(days=1)).strftime("%Y-%m")
    following = (start + timedelta(days=32)).strftime("%Y-%m")
    total = sum(r.total_cents for r in rows)
    return json_response({
        "month": month, "label": invoicing.month_label(start), "previous": previous, "next": following,
        "lines": [{"date": r.day.isoformat(), "day": r.day.strftime("%d/%m/%Y"), "last_name": r.last_name,
                   "first_name": r.first_name, "activity": r.activity, "unit_price": euros(r.unit_price_cents),
                   "quantity": r.quantity, "total": euros(r.total_cents), "total_cents": r.total_cents}
                  for r in rows],
        "total_cents": total, "total": euros(total)})


async def consumptions_csv(request: web.Request) -> web.Response:
    _family_id, month, rows = await _rows(request)
    body = csv_bytes(rows, f"Consommations {month}")
    return web.Response(body=body, content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="consommations-{month}.csv"'})


async def consumptions_pdf_export(request: web.Request) -> web.Response:
    family_id, month, rows = await _rows(request)
    label = await _svc(request).pool.fetchval("SELECT label FROM families WHERE id = $1", family_id) or ""
    start, _ = invoicing.month_range(month)
    body = consumptions_pdf(rows, f"Historique des Consommations — {invoicing.month_label(start)}", label)
    return web.Response(body=body, content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="consommations-{month}.pdf"'})


# -- invoices, payments, balance ---------------------------------------------------------------------
async def invoices(request: web.Request) -> web.Response:
    async with _svc(request).pool.acquire() as conn:
        scope = await access.family_scope(request, conn)
        listed = await invoicing.invoice_status(conn, scope.family_id, scope.structure_ids, _today())
        payments = await conn.fetch(
            "SELECT id, amount_cents, method, reference, status, received_at, created_at FROM payments "
            "WHERE family_id = $1 AND structure_id = ANY($2::uuid[]) AND status = 'received' "
            "ORDER BY received_at DESC", scope.family_id, scope.structure_ids)
        balance = await invoicing.balance(conn, scope.family_id, scope.structure_ids)
    return json_response({
        "invoices": [{**i, "total": euros(i["total_cents"]), "remaining": euros(i["remaining_cents"])} for i in listed],
        "payments": [{"id": str(p["id"]), "amount": euros(p["amount_cents"]), "amount_cents": p["amount_cents"],
                      "method": p["method"], "reference": p["reference"],
                      "received_at": p["received_at"].isoformat()} for p in payments],
        "online_payment": request.app[PROVIDER] is not None,
        **balance, "balance": euros(balance["balance_cents"])})


async def invoice_document(request: web.Request) -> web.Response:
    invoice_id = _uuid(request.match_info["invoice_id"])
    async with _svc(request).pool.acquire() as conn:
        invoice = await access.invoice(request, conn, invoice_id)
        lines = await conn.fetch(
            "SELECT day, first_name, last_name, activity_name, unit_price_cents, quantity, total_cents "
            "FROM consumptions WHERE invoice_id = $1 ORDER BY day, first_name", invoice_id)
        paid = await conn.fetchval("SELECT coalesce(sum(amount_cents), 0) FROM allocations WHERE invoice_id = $1",
                                   invoice_id)
        label = await conn.fetchval("SELECT label FROM families WHERE id = $1", invoice["family_id"]) or ""
        structure = await conn.fetchval("SELECT name FROM structures WHERE id = $1", invoice["structure_id"]) or ""
    doc = InvoiceDoc(number=invoice["number"], family_label=label, structure=structure,
                     period_label=invoicing.month_label(invoice["period_start"]), issued_on=invoice["issued_on"],
                     due_on=invoice["due_on"],
                     lines=[InvoiceLine(r["day"], f"{r['last_name']} {r['first_name']}", r["activity_name"],
                                        r["unit_price_cents"], r["quantity"], r["total_cents"]) for r in lines],
                     total_cents=invoice["total_cents"], paid_cents=paid)
    return web.Response(body=invoice_pdf(doc), content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="facture-{invoice["number"]}.pdf"'})


class IssueIn(BaseModel):
    month: str = Field(max_length=20, description="AAAA-MM")


async def issue_invoices(request: web.Request) -> web.Response:
    access.invoice_issuer(request)
    body = await read_model(request, IssueIn)
    try:
        invoicing.month_range(body.month)
    except invoicing.InvalidMonth as exc:
        return problem(400, "Mois invalide", str(exc))
    report = await invoicing.issue_month(_svc(request).pool, body.month, _today())
    return json_response({"invoices": report.invoices, "total_cents": report.total_cents})


class PaymentIn(BaseModel):
    family_id: uuid.UUID
    structure_id: uuid.UUID
    amount: str = Field(max_length=20, description="en euros, ex. 78,77")
    method: Literal["cash", "cheque", "card", "cesu", "transfer"]
    reference: str = Field(default="", max_length=80)


async def record_payment(request: web.Request) -> web.Response:
    body = await read_model(request, PaymentIn)
    payment_id = uuid.uuid4()
    async with _svc(request).pool.acquire() as conn, conn.transaction():
        await access.payment_recorder(request, conn, body.family_id, body.structure_id)
        try:
            amount = parse_euros(body.amount)
        except ValueError as exc:
            return problem(422, "Montant invalide", str(exc))
        if amount <= 0:
            return problem(422, "Montant invalide", "Le montant doit être positif.")
        if amount > MAX_PAYMENT_CENTS:
            return problem(422, "Montant invalide", f"Le montant ne peut dépasser {euros(MAX_PAYMENT_CENTS)} €.")
        reference = body.reference or f"PF-{payment_id.hex[:10].upper()}"
        await conn.execute(
            """INSERT INTO payments (id, family_id, structure_id, amount_cents, method, reference, status)
               VALUES ($1, $2, $3, $4, $5, $6, 'pending')""",
            payment_id, body.family_id, body.structure_id, amount, body.method, reference)
        await invoicing.receive(conn, payment_id)
    return json_response({"payment_id": str(payment_id), "reference": reference}, status=201)


class OnlineIn(BaseModel):
    invoice_id: uuid.UUID
    return_url: str = Field(max_length=500)
    cancel_url: str | None = Field(default=None, max_length=500)  # default: the return URL


def _portal_url(settings, url: str, what: str) -> str:
    """A return or cancel address: on the portal's own origin (PORTAIL_PUBLIC_URL), nowhere else."""
    own = urlsplit(settings.public_url)
    given = urlsplit(url)
    if (given.scheme, given.netloc.lower()) != (own.scheme, own.netloc.lower()) or given.username \
            or given.password or not url.isprintable() or "\\" in url:
        raise web.HTTPBadRequest(text=f"Adresse de {what} refusée : elle doit être une page du portail "
                                      f"({own.scheme}://{own.netloc}/…).")
    return url


async def start_online_payment(request: web.Request) -> web.Response:
    body = await read_model(request, OnlineIn)
    svc = _svc(request)
    provider = request.app[PROVIDER]
    return_url = _portal_url(svc.settings, body.return_url, "retour")
    cancel_url = _portal_url(svc.settings, body.cancel_url, "retour après annulation") if body.cancel_url else None
    async with svc.pool.acquire() as conn, conn.transaction():
        invoice = await access.payable_invoice(request, conn, body.invoice_id)
        if provider is None:
            return problem(503, "Paiement en ligne indisponible",
                           "Le paiement en ligne n'est pas proposé pour le moment. Vous pouvez régler votre "
                           "facture auprès de votre structure.")
        if invoice["remaining"] <= 0:
            return problem(409, "Facture réglée", "Cette facture est déjà réglée.")
        callback = svc.settings.payment_callback_url or f"{request.url.origin()}/v1/payments/callback"
        checkout = await provider.create_checkout(
            conn, invoice["remaining"], f"Facture {invoice['number']}", return_url, callback, cancel_url=cancel_url)
        await conn.execute(
            """INSERT INTO payments (id, family_id, structure_id, amount_cents, method, reference, status,
                   provider_ref, invoice_id) VALUES ($1, $2, $3, $4, 'online', $5, 'pending', $6, $7)""",
            uuid.uuid4(), invoice["family_id"], invoice["structure_id"], invoice["remaining"],
            f"EN-LIGNE-{invoice['number']}", checkout.provider_ref, invoice["id"])
    return json_response({"redirect_url": checkout.redirect_url}, status=201)


async def payment_callback(request: web.Request) -> web.Response:
    """The provider calls back, server to server: trusted only with a valid signature."""
    access.provider_callback(request)
    provider = request.app[PROVIDER]
    if provider is None:
        raise web.HTTPNotFound(text="Aucun prestataire de paiement n'est configuré.")
    body = await request.read()
    try:
        result = provider.verify_callback(body, request.headers.get("X-Signature", ""))
    except InvalidCallback as exc:
        return problem(400, "Rappel refusé", str(exc))
    async with _svc(request).pool.acquire() as conn, conn.transaction():
        payment = await conn.fetchrow("SELECT id, amount_cents, status FROM payments WHERE provider_ref = $1 "
                                      "FOR UPDATE", result.provider_ref)
        if payment is None:
            return problem(404, "Paiement inconnu", "Aucun paiement ne correspond.")
        if result.status == "paid":
            if result.amount_cents != payment["amount_cents"]:
                return problem(400, "Rappel refusé", "Le montant ne correspond pas.")
            await invoicing.receive(conn, payment["id"])
        elif payment["status"] == "pending":
            await conn.execute("UPDATE payments SET status = 'cancelled' WHERE id = $1", payment["id"])
    return web.Response(status=204)


# -- the local test provider (development and tests only: PORTAIL_TEST_PAYMENT_PROVIDER) ----------------
def _test_provider(request: web.Request) -> TestProvider:
    provider = request.app[PROVIDER]
    if not isinstance(provider, TestProvider):
        raise web.HTTPNotFound(text="Page introuvable.")
    return provider


async def provider_page(request: web.Request) -> web.Response:
    """What the provider's page shows (the gateway renders it): for the paying family only."""
    _test_provider(request)
    ref = request.match_info["ref"]
    async with _svc(request).pool.acquire() as conn:
        await access.checkout_payer(request, conn, ref)
        checkout = await conn.fetchrow("SELECT * FROM test_provider_checkouts WHERE id = $1", ref)
    if checkout is None or checkout["status"] != "open":
        raise web.HTTPNotFound(text="Paiement introuvable ou terminé.")
    return json_response({"ref": ref, "description": checkout["description"],
                          "amount": euros(checkout["amount_cents"]), "amount_cents": checkout["amount_cents"]})


async def provider_settle(request: web.Request) -> web.Response:
    """The paying family pressed "Payer" or "Annuler" on the provider's page."""
    provider = _test_provider(request)
    ref = request.match_info["ref"]
    paid = request.match_info["action"] == "payer"
    svc = _svc(request)
    async with svc.pool.acquire() as conn, conn.transaction():
        await access.checkout_payer(request, conn, ref)
        try:
            target = await provider.settle(conn, ref, paid, svc.settings.identity_secret)
        except InvalidCallback as exc:
            return problem(502, "Paiement non confirmé", str(exc))
    if target is None:
        raise web.HTTPNotFound(text="Paiement introuvable ou terminé.")
    return json_response({"redirect_url": target})


def routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/v1/tariffs", publish_tariff)
    r.add_get("/v1/consumptions", consumptions)
    r.add_get("/v1/consumptions/export.csv", consumptions_csv)
    r.add_get("/v1/consumptions/export.pdf", consumptions_pdf_export)
    r.add_get("/v1/invoices", invoices)
    r.add_get("/v1/invoices/{invoice_id}/pdf", invoice_document)
    r.add_post("/v1/invoices/issue", issue_invoices)
    r.add_post("/v1/payments", record_payment)
    r.add_post("/v1/payments/online", start_online_payment)
    r.add_post("/v1/payments/callback", payment_callback)
    if app[APP_KEY].settings.test_payment_provider:
        r.add_get("/v1/test-provider/{ref}", provider_page)
        r.add_post("/v1/test-provider/{ref}/{action:payer|annuler}", provider_settle)
