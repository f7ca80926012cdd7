"""Réservations (issue 19): declaring an absence (illness) on booked days, even past the cancellation
deadline, with a medical certificate (sent to the dossier, which keeps it under its documents' rules), and
following the family's declared absences and their answers."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from services.gateway.clients import NotFound, Refused, clients_of
from services.gateway.pages.booking.common import family_children, parent_page, pick_child
from services.gateway.pages.dossier.documents import ascii_name
from services.gateway.web import forms
from services.gateway.web.csrf import checked_post
from services.gateway.web.forms import FormError
from services.gateway.web.render import render
from services.gateway.web.session import Account

PAGE = "/reservations/absences"
DONE = {"absence": "✓ Votre absence est déclarée : la structure vous répondra après lecture du certificat."}


def _french(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


async def _page(request: web.Request, account: Account, status: int = 200, **extra) -> web.Response:
    children = await family_children(request, account)
    absences = await clients_of(request).booking.family_absences(account.identity)
    for a in absences:
        a["du"], a["au"] = _french(a["start"]), _french(a["end"])
    return render(request, "reservations_absences.html", status=status, section="absences", children=children,
                  absences=absences, done=DONE.get(request.query.get("fait", "")), form=extra.pop("form", {}),
                  **extra)


@parent_page
async def absences_get(request: web.Request, account: Account) -> web.Response:
    return await _page(request, account)


@parent_page
async def absence_post(request: web.Request, account: Account) -> web.Response:
    posted = await checked_post(request)
    form = {k: v for k, v in posted.items() if isinstance(v, str)}
    clients = clients_of(request)
    try:
        child = pick_child(await family_children(request, account), form.get("enfant"), required=True)
        start, end = forms.day(form, "du", "Du"), forms.day(form, "au", "Au")
        upload = posted.get("certificat")
        if upload is None or isinstance(upload, str) or not getattr(upload, "filename", None):
            raise FormError("Joignez le certificat médical (PDF, JPEG ou PNG).")
        certificate = await clients.dossier.upload_certificate(account.identity, child["id"], upload.file.read(),
                                                               ascii_name(upload.filename))
        await clients.booking.declare_absence(account.identity, {"child_id": child["id"], "start": start,
                                                                 "end": end, "certificate_id": certificate})
    except (FormError, Refused, NotFound) as exc:
        return await _page(request, account, status=422, errors=exc.messages(), form=form)
    raise web.HTTPSeeOther(f"{PAGE}?fait=absence")


def routes(app: web.Application) -> None:
    app.router.add_get(PAGE, absences_get)
    app.router.add_post(PAGE, absence_post)
