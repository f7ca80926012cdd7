"""Gestion: a family's page, where every action on a family starts. It composes what each service answers
for the staff member's structures: auth (identifiant, guardians, children, structures, e-mail addresses),
dossier (the state of each sheet, its address), booking (this month's bookings), billing (balance,
invoices, payments) and notify (the mails sent to it and their state). From there staff record a payment,
ask for a security update (a new password at the next sign-in), send a failed mail again, open a sheet."""

from __future__ import annotations

import asyncio

from aiohttp import web

from contracts.billing import PAYMENT_METHODS
from kit.clock import paris_today
from kit.fr import month_year
from services.gateway.clients import NotFound, clients_of
from services.gateway.pages.staff.common import REFUSED, done_message, messages_of, redirect, structure_id
from services.gateway.web import forms
from services.gateway.web.csrf import checked_form
from services.gateway.web.forms import FormError, uuid_or_404
from services.gateway.web.guards import STAFF, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account

METHODS = dict(PAYMENT_METHODS)


async def _or_empty(call, empty):
    """A service's part of the page; NotFound there means it has nothing of this family for the caller yet
    (auth, asked first, already said the family is theirs)."""
    try:
        return await call
    except NotFound:
        return empty


async def _family_page(request: web.Request, account: Account, status: int = 200, **extra) -> web.Response:
    family_id = str(uuid_or_404(request.match_info["family_id"]))
    who, clients = account.identity, clients_of(request)
    family = await clients.auth.staff_family(who, family_id)  # NotFound: not a family of the caller's
    today = paris_today()
    month = today.strftime("%Y-%m")
    dossier, bookings, billing, mails = await asyncio.gather(
        _or_empty(clients.dossier.family_sheets(who, family_id), {"sheets": [], "address": {}}),
        _or_empty(clients.booking.family_month(who, family_id, month), []),
        _or_empty(clients.billing.family_account(who, family_id), {}),
        _or_empty(clients.notify.family_mails(who, family_id), []))
    return render(request, "gestion_famille.html", status=status, section="familles", family=family,
                  dossier=dossier, bookings=bookings, billing=billing, mails=mails, methods=METHODS,
                  month_label=month_year(today.year, today.month), done=done_message(request),
                  form=extra.pop("form", {}), **extra)


@signed_in(roles=STAFF)
async def family_page(request: web.Request, account: Account) -> web.Response:
    return await _family_page(request, account)


def _path(request: web.Request) -> str:
    return f"/gestion/familles/{uuid_or_404(request.match_info['family_id'])}"


@signed_in(roles=STAFF)
async def payment_submit(request: web.Request, account: Account) -> web.Response:
    """A payment received at the structure's desk, for this family."""
    form = await checked_form(request)
    family_id = str(uuid_or_404(request.match_info["family_id"]))
    try:
        method = form.get("moyen")
        if method not in METHODS:
            raise FormError("Choisissez le moyen de paiement.")
        amount = form.get("montant", "").strip()
        if not amount:
            raise FormError("Montant : à renseigner.")
        await clients_of(request).billing.record_payment(account.identity, {
            "family_id": family_id, "structure_id": structure_id(account), "amount": amount, "method": method,
            "reference": forms.text(form, "reference", 80)})
    except REFUSED as exc:
        return await _family_page(request, account, status=422, payment_errors=messages_of(exc), form=form)
    raise redirect(_path(request), "paiement")


@signed_in(roles=STAFF)
async def security_submit(request: web.Request, account: Account) -> web.Response:
    """At its next sign-in the family must choose a new password."""
    await checked_form(request)
    family_id = str(uuid_or_404(request.match_info["family_id"]))
    try:
        await clients_of(request).auth.require_new_password(account.identity, family_id)
    except REFUSED as exc:
        return await _family_page(request, account, status=422, security_errors=messages_of(exc))
    raise redirect(_path(request), "securite")


@signed_in(roles=STAFF)
async def custody_submit(request: web.Request, account: Account) -> web.Response:
    """Shared custody (garde alternée): another family of the structure becomes the child's second household."""
    form = await checked_form(request)
    family_id = str(uuid_or_404(request.match_info["family_id"]))
    child_id = str(uuid_or_404(request.match_info["child_id"]))
    try:
        identifiant = forms.text(form, "identifiant", 80)
        if not identifiant:
            raise FormError("Identifiant du second foyer : à renseigner.")
        await clients_of(request).auth.link_second_household(account.identity, family_id, child_id, identifiant)
    except REFUSED as exc:
        return await _family_page(request, account, status=422, custody_errors=messages_of(exc), form=form)
    raise redirect(_path(request), "garde")


def delivery_id(request: web.Request) -> str:
    raw = request.match_info["delivery_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise web.HTTPNotFound()
    return raw


@signed_in(roles=STAFF)
async def resend_submit(request: web.Request, account: Account) -> web.Response:
    """A failed mail to this family goes out again."""
    await checked_form(request)
    try:
        await clients_of(request).notify.resend(account.identity, delivery_id(request))
    except REFUSED as exc:
        return await _family_page(request, account, status=422, mail_errors=messages_of(exc))
    raise redirect(_path(request), "renvoi")


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/gestion/familles/{family_id}", family_page)
    r.add_post("/gestion/familles/{family_id}/paiement", payment_submit)
    r.add_post("/gestion/familles/{family_id}/securite", security_submit)
    r.add_post("/gestion/familles/{family_id}/enfants/{child_id}/second-foyer", custody_submit)
    r.add_post("/gestion/familles/{family_id}/courriels/{delivery_id}/renvoi", resend_submit)
