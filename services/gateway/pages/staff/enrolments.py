"""Gestion: enrolments (« Inscriptions ») in the activities that require them. Children are chosen by name,
never by an identifier: one at a time from the list of the structure's children, or a whole class from a
list pasted or uploaded (names, or a CSV « nom;prénom;date de naissance ») that booking recognises among the
structure's children; staff check what was recognised, then confirm. A child is unenrolled with its row's
button (its bookings already made stay)."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from services.gateway.clients import clients_of
from services.gateway.pages.staff.activities import structure_activities
from services.gateway.pages.staff.common import REFUSED, done_message, messages_of, redirect
from services.gateway.web.csrf import checked_form, checked_post
from services.gateway.web.forms import FormError, is_uuid
from services.gateway.web.guards import STAFF, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account

MAX_LIST_BYTES = 200_000


def _born(child: dict) -> dict:
    child["born"] = date.fromisoformat(child["birth_date"]).strftime("%d/%m/%Y")
    return child


async def _chosen(request: web.Request, account: Account, activity_id: str | None) -> tuple[list[dict], dict | None]:
    """The structure's activities (those requiring enrolment first) and the one shown: asked for, or the
    first requiring enrolment. An activity of another structure is not found."""
    activities = sorted(await structure_activities(request, account),
                        key=lambda a: (not a["enrolment_required"], a["name"].lower()))
    if activity_id is None:
        return activities, activities[0] if activities else None
    chosen = next((a for a in activities if a["id"] == activity_id), None)
    if chosen is None:
        raise web.HTTPNotFound()
    return activities, chosen


async def _page(request: web.Request, account: Account, activity_id: str | None, status: int = 200,
                **extra) -> web.Response:
    activities, activity = await _chosen(request, account, activity_id)
    roll = {"enrolled": [], "others": []}
    if activity is not None:
        roll = await clients_of(request).booking.enrolments(account.identity, activity["id"])
    for child in roll["enrolled"] + roll["others"]:
        _born(child)
    return render(request, "gestion_inscriptions.html", status=status, section="inscriptions",
                  activities=activities, activity=activity, enrolled=roll["enrolled"], others=roll["others"],
                  done=done_message(request), added=request.query.get("inscrits", "")[:6], **extra)


@signed_in(roles=STAFF)
async def enrolments_page(request: web.Request, account: Account) -> web.Response:
    wanted = request.query.get("activite")
    return await _page(request, account, wanted if wanted and is_uuid(wanted) else None)


def _back(activity_id: str, done: str, added: int | None = None) -> web.HTTPSeeOther:
    extra = f"&inscrits={added}" if added is not None else ""
    return redirect(f"/gestion/inscriptions?activite={activity_id}{extra}", done)


@signed_in(roles=STAFF)
async def enrol_submit(request: web.Request, account: Account) -> web.Response:
    """One child, or the children checked in a recognised class list (repeated field `enfant`)."""
    posted = await checked_post(request)
    _, activity = await _chosen(request, account, request.match_info["activity_id"])
    child_ids = list(dict.fromkeys(v for k, v in posted.items() if k == "enfant" and isinstance(v, str) and is_uuid(v)))
    try:
        if not child_ids:
            raise FormError("Choisissez au moins un enfant à inscrire.")
        added = await clients_of(request).booking.enrol(account.identity, activity["id"], child_ids)
    except REFUSED as exc:
        return await _page(request, account, activity["id"], status=422, enrol_errors=messages_of(exc))
    raise _back(activity["id"], "inscription", added)


@signed_in(roles=STAFF)
async def unenrol_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    _, activity = await _chosen(request, account, request.match_info["activity_id"])
    try:
        if not is_uuid(form.get("enfant")):
            raise FormError("Choisissez l'enfant à désinscrire.")
        await clients_of(request).booking.unenrol(account.identity, activity["id"], form["enfant"])
    except REFUSED as exc:
        return await _page(request, account, activity["id"], status=422, enrolled_errors=messages_of(exc))
    raise _back(activity["id"], "desinscription")


def _decoded(data: bytes) -> str:
    """A list file as text: UTF-8 (with or without its mark), else the Windows encoding of French spreadsheets."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


@signed_in(roles=STAFF)
async def class_list_submit(request: web.Request, account: Account) -> web.Response:
    """A class list pasted (`noms`) or uploaded (`fichier`): what booking recognises, to be confirmed."""
    posted = await checked_post(request)
    _, activity = await _chosen(request, account, request.match_info["activity_id"])
    pasted = posted.get("noms") if isinstance(posted.get("noms"), str) else ""
    upload = posted.get("fichier")
    try:
        text = pasted
        if isinstance(upload, web.FileField) and upload.filename:  # an empty file input: no FileField
            data = upload.file.read(MAX_LIST_BYTES + 1)
            if len(data) > MAX_LIST_BYTES:
                raise FormError("Le fichier de la liste est trop gros (200 Ko au plus).")
            text = f"{text}\n{_decoded(data)}"
        if not text.strip():
            raise FormError("Collez la liste des enfants ou choisissez son fichier.")
        if len(text) > MAX_LIST_BYTES:
            raise FormError("La liste est trop longue (200 000 caractères au plus) : découpez-la.")
        lines = await clients_of(request).booking.match_class_list(account.identity, activity["id"], text)
    except REFUSED as exc:
        return await _page(request, account, activity["id"], status=422, list_errors=messages_of(exc),
                           pasted=pasted)
    for line in lines:
        for child in line["children"]:
            _born(child)
    return await _page(request, account, activity["id"], matched=lines, pasted=pasted)


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/gestion/inscriptions", enrolments_page)
    r.add_post("/gestion/inscriptions/{activity_id}/inscrire", enrol_submit)
    r.add_post("/gestion/inscriptions/{activity_id}/desinscrire", unenrol_submit)
    r.add_post("/gestion/inscriptions/{activity_id}/liste", class_list_submit)
