"""billing's internal API: tariffs (staff), consumptions history and exports, invoices, payments,
balance (families see only their own), and the online payment flow."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, Field

from contracts.billing import BillingTariffPublishedV1
from contracts.pricing import Bracket, Tariff
from kit import outbox
from kit.http import json_response, problem, read_model, require_role
from kit.identity import Identity
from kit.service import APP_KEY
from services.billing import invoicing
from services.billing.exports import ConsumptionRow, csv_bytes, filter_rows
from services.billing.money import euros, parse_euros
from services.billing.pdf import InvoiceDoc, InvoiceLine, consumptions_pdf, invoice_pdf
from services.billing.provider import InvalidCallback, TestProvider

PARIS = ZoneInfo("Europe/Paris")
PROVIDER = web.AppKey("provider", TestProvider)


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


def _family(request: web.Request) -> uuid.UUID:
    """The family whose data is asked for: a parent's own; staff and admin name it (family_id)."""
    who = require_role(request, "parent", "staff", "admin")
    if who.role == "parent":
        if who.family_id is None:
            raise web.HTTPForbidden(text="Compte sans famille.")
        asked = _uuid(request.query.get("family_id"))
        if asked is not None and asked != who.family_id:
            raise web.HTTPNotFound(text="Famille introuvable.")
        return who.family_id
    family_id = _uuid(request.query.get("family_id"))
    if family_id is None:
        raise web.HTTPBadRequest(text="family_id attendu")
    return family_id


async def _staff_may_see(conn, who: Identity, family_id: uuid.UUID) -> None:
    if who.role != "staff":
        return
    structures = {r["structure_id"] for r in await conn.fetch(
        "SELECT DISTINCT structure_id FROM consumptions WHERE family_id = $1 UNION "
        "SELECT DISTINCT structure_id FROM invoices WHERE family_id = $1", family_id)}
    if not structures & set(who.structures):
        raise web.HTTPNotFound(text="Famille introuvable.")


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
    who = require_role(request, "staff", "admin")
    body = await read_model(request, TariffIn)
    if not who.may_manage_structure(body.structure_id):
        raise web.HTTPForbidden(text="Vous ne gérez pas cette structure.")
    tariff = Tariff(tariff_id=uuid.uuid4(), activity_id=body.activity_id, effective_from=body.effective_from,
                    unit=body.unit, brackets=body.brackets, reduced_from_rank=body.reduced_from_rank)
    async with _svc(request).pool.acquire() as conn, conn.transaction():
        done = await conn.fetchval(
            """INSERT INTO tariffs (id, structure_id, activity_id, activity_name, effective_from, body)
               VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT (activity_id, effective_from) DO NOTHING
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
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return month, start, end


async def _rows(request: web.Request) -> tuple[uuid.UUID, str, list[ConsumptionRow]]:
    family_id = _family(request)
    month, start, end = _month(request)
    async with _svc(request).pool.acquire() as conn:
        await _staff_may_see(conn, require_role(request, "parent", "staff", "admin"), family_id)
        records = await conn.fetch(
            """SELECT day, last_name, first_name, activity_name, unit_price_cents, quantity, total_cents
               FROM consumptions WHERE family_id = $1 AND day BETWEEN $2 AND $3
               ORDER BY day DESC, first_name, activity_name""", family_id, start, end)
    rows = [ConsumptionRow(r["day"], r["last_name"], r["first_name"], r["activity_name"], r["unit_price_cents"],
                           r["quantity"], r["total_cents"]) for r in records]
    return family_id, month, filter_rows(rows, request.query.get("q", ""))


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
    family_id = _family(request)
    async with _svc(request).pool.acquire() as conn:
        await _staff_may_see(conn, require_role(request, "parent", "staff", "admin"), family_id)
        listed = await invoicing.invoice_status(conn, family_id, _today())
        payments = await conn.fetch(
            "SELECT id, amount_cents, method, reference, status, received_at, created_at FROM payments "
            "WHERE family_id = $1 AND status = 'received' ORDER BY received_at DESC", family_id)
        balance = await invoicing.balance(conn, family_id)
    return json_response({
        "invoices": [{**i, "total": euros(i["total_cents"]), "remaining": euros(i["remaining_cents"])} for i in listed],
        "payments": [{"id": str(p["id"]), "amount": euros(p["amount_cents"]), "amount_cents": p["amount_cents"],
                      "method": p["method"], "reference": p["reference"],
                      "received_at": p["received_at"].isoformat()} for p in payments],
        **balance, "balance": euros(balance["balance_cents"])})


async def invoice_document(request: web.Request) -> web.Response:
    who = require_role(request, "parent", "staff", "admin")
    invoice_id = _uuid(request.match_info["invoice_id"])
    async with _svc(request).pool.acquire() as conn:
        invoice = await conn.fetchrow("SELECT * FROM invoices WHERE id = $1", invoice_id)
        if invoice is None or (who.role == "parent" and invoice["family_id"] != who.family_id) or (
                who.role == "staff" and not who.may_manage_structure(invoice["structure_id"])):
            raise web.HTTPNotFound(text="Facture introuvable.")
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
    month: str = Field(pattern=r"^\d{4}-\d{2}$")


async def issue_invoices(request: web.Request) -> web.Response:
    require_role(request, "admin")
    body = await read_model(request, IssueIn)
    report = await invoicing.issue_month(_svc(request).pool, body.month, _today())
    return json_response({"invoices": report.invoices, "total_cents": report.total_cents})


class PaymentIn(BaseModel):
    family_id: uuid.UUID
    structure_id: uuid.UUID
    amount: str = Field(max_length=20, description="en euros, ex. 78,77")
    method: Literal["cash", "cheque", "card", "cesu", "transfer"]
    reference: str = Field(default="", max_length=80)


async def record_payment(request: web.Request) -> web.Response:
    who = require_role(request, "staff", "admin")
    body = await read_model(request, PaymentIn)
    if not who.may_manage_structure(body.structure_id):
        raise web.HTTPForbidden(text="Vous ne gérez pas cette structure.")
    try:
        amount = parse_euros(body.amount)
    except ValueError as exc:
        return problem(422, "Montant invalide", str(exc))
    if amount <= 0:
        return problem(422, "Montant invalide", "Le montant doit être positif.")
    payment_id = uuid.uuid4()
    async with _svc(request).pool.acquire() as conn, conn.transaction():
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


async def start_online_payment(request: web.Request) -> web.Response:
    who = require_role(request, "parent")
    body = await read_model(request, OnlineIn)
    svc = _svc(request)
    async with svc.pool.acquire() as conn, conn.transaction():
        invoice = await conn.fetchrow(
            """SELECT i.*, i.total_cents - coalesce((SELECT sum(amount_cents) FROM allocations a
                                                     WHERE a.invoice_id = i.id), 0) AS remaining
               FROM invoices i WHERE i.id = $1""", body.invoice_id)
        if invoice is None or invoice["family_id"] != who.family_id:
            raise web.HTTPNotFound(text="Facture introuvable.")
        if invoice["remaining"] <= 0:
            return problem(409, "Facture réglée", "Cette facture est déjà réglée.")
        callback = svc.settings.payment_callback_url or f"{request.url.origin()}/v1/payments/callback"
        checkout = await request.app[PROVIDER].create_checkout(
            conn, invoice["remaining"], f"Facture {invoice['number']}", body.return_url, callback)
        await conn.execute(
            """INSERT INTO payments (id, family_id, structure_id, amount_cents, method, reference, status,
                   provider_ref, invoice_id) VALUES ($1, $2, $3, $4, 'online', $5, 'pending', $6, $7)""",
            uuid.uuid4(), who.family_id, invoice["structure_id"], invoice["remaining"],
            f"EN-LIGNE-{invoice['number']}", checkout.provider_ref, invoice["id"])
    return json_response({"redirect_url": checkout.redirect_url}, status=201)


async def payment_callback(request: web.Request) -> web.Response:
    """The provider calls back, server to server: trusted only with a valid signature."""
    require_role(request, "anonymous", "parent", "staff", "admin")
    body = await request.read()
    try:
        result = request.app[PROVIDER].verify_callback(body, request.headers.get("X-Signature", ""))
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


# -- the local test provider's pages ---------------------------------------------------------------------
async def provider_page(request: web.Request) -> web.Response:
    require_role(request, "anonymous", "parent", "staff", "admin")
    ref = request.match_info["ref"]
    checkout = await _svc(request).pool.fetchrow("SELECT * FROM test_provider_checkouts WHERE id = $1", ref)
    if checkout is None or checkout["status"] != "open":
        raise web.HTTPNotFound(text="Paiement introuvable ou terminé.")
    import html

    page = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Paiement sécurisé (test)</title></head>
<body><h1>Prestataire de paiement de test</h1><p>{html.escape(checkout['description'])}</p>
<p>Montant : <strong>{euros(checkout['amount_cents'])} €</strong></p>
<form method="post" action="/paiement-test/{html.escape(ref)}/payer"><button type="submit">Payer</button></form>
<form method="post" action="/paiement-test/{html.escape(ref)}/annuler"><button type="submit">Annuler</button></form>
</body></html>"""
    return web.Response(text=page, content_type="text/html", charset="utf-8")


async def provider_settle(request: web.Request) -> web.Response:
    require_role(request, "anonymous", "parent", "staff", "admin")
    paid = request.match_info["action"] == "payer"
    svc = _svc(request)
    async with svc.pool.acquire() as conn, conn.transaction():
        try:
            target = await request.app[PROVIDER].settle(conn, request.match_info["ref"], paid,
                                                        svc.settings.identity_secret)
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
    r.add_get("/v1/test-provider/{ref}", provider_page)
    r.add_post("/v1/test-provider/{ref}/{action:payer|annuler}", provider_settle)


