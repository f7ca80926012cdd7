"""Gestion, « Attestations »: the « attestations de frais de garde » of the current structure. Staff choose
the eligible activities and the details printed at the top, look at a year's certificates (per child under
six on 1 January: the amounts paid for eligible activities), issue the year in one click (its families may
then download theirs) and print them all in one PDF."""

from __future__ import annotations

from aiohttp import web

from kit.clock import paris_today
from services.gateway.clients import clients_of
from services.gateway.pages.billing.tax_certificates import french_day
from services.gateway.pages.files import file_page
from services.gateway.pages.staff.common import REFUSED, messages_of, structure_id
from services.gateway.web.csrf import checked_form, checked_post
from services.gateway.web.forms import FormError, uuid_or_404
from services.gateway.web.guards import STAFF, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account

NOTICES = {"reglages": "✓ Les activités éligibles et les coordonnées ont bien été enregistrées",
           "emises": "✓ Les attestations de l'année ont été émises : les familles peuvent les télécharger",
           "deja": "Les attestations de cette année étaient déjà émises : rien n'a changé"}


def _year(raw: str | None) -> int | None:
    """The year asked for (AAAA), or None: billing's default, last year."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) != 4:
        raise FormError("Année invalide : format attendu AAAA (ex. 2026).")
    return int(raw)


async def _page(request: web.Request, account: Account, year: int | None, status: int = 200, **extra) -> web.Response:
    found = await clients_of(request).billing.structure_tax_certificates(account.identity, structure_id(account),
                                                                         year)
    found["until_label"], found["issued_label"] = french_day(found["until"]), french_day(found["issued_on"])
    for certificate in found["certificates"]:
        certificate["birth_label"] = french_day(certificate["birth_date"])
    return render(request, "gestion_attestations.html", status=status, section="attestations", found=found,
                  years=range(paris_today().year, paris_today().year - 6, -1),
                  done=NOTICES.get(request.query.get("fait", "")), **extra)


@signed_in(roles=STAFF)
async def certificates_page(request: web.Request, account: Account) -> web.Response:
    try:
        return await _page(request, account, _year(request.query.get("annee")))
    except REFUSED as exc:
        return await _page(request, account, None, status=422, errors=messages_of(exc))


@signed_in(roles=STAFF)
async def settings_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_post(request)
    raw = form.get("annee")
    year = int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) == 4 else None
    chosen = [v for v in form.getall("eligible", []) if isinstance(v, str)]
    try:
        await clients_of(request).billing.save_tax_settings(account.identity, structure_id(account),
                                                            str(form.get("coordonnees") or ""), chosen)
    except REFUSED as exc:
        return await _page(request, account, year, status=422, errors=messages_of(exc))
    raise web.HTTPSeeOther(f"/gestion/attestations?fait=reglages&annee={year or ''}")


@signed_in(roles=STAFF)
async def issue_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    try:
        year = _year(form.get("annee"))
        if year is None:
            raise FormError("Choisissez l'année des attestations à émettre.")
        done = await clients_of(request).billing.issue_tax_certificates(account.identity, structure_id(account),
                                                                         year)
    except REFUSED as exc:
        return await _page(request, account, None, status=422, errors=messages_of(exc))
    raise web.HTTPSeeOther(f"/gestion/attestations?fait={'emises' if done['issued'] else 'deja'}&annee={year}")


@signed_in(roles=STAFF)
async def all_pdf(request: web.Request, account: Account) -> web.StreamResponse:
    return await file_page(clients_of(request).billing.structure_tax_pdf(
        request, account.identity, structure_id(account), int(request.match_info["year"])))


@signed_in(roles=STAFF)
async def one_pdf(request: web.Request, account: Account) -> web.StreamResponse:
    return await file_page(clients_of(request).billing.tax_certificate_pdf(
        request, account.identity, structure_id(account), int(request.match_info["year"]),
        uuid_or_404(request.match_info["child_id"])))


def routes(app: web.Application) -> None:
    app.router.add_get("/gestion/attestations", certificates_page)
    app.router.add_post("/gestion/attestations/reglages", settings_submit)
    app.router.add_post("/gestion/attestations/emettre", issue_submit)
    app.router.add_get(r"/gestion/attestations/{year:\d{4}}.pdf", all_pdf)
    app.router.add_get(r"/gestion/attestations/{year:\d{4}}/{child_id}.pdf", one_pdf)
