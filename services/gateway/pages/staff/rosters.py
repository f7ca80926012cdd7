"""Gestion: the rosters (listes de présence) of a day and an activity, printable and exported as CSV (Excel in
French), and the day summary across the structure's activities (« Demain : 212 repas dont 14 sans porc… »).

Who is booked comes from booking, the children's flags (PAI, diets, image rights, who may pick them up, who
to call) from dossier, which audits the health reads; the counts of the summary are dossier's rule."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from aiohttp import web

from kit import excel, fr
from kit.clock import paris_today
from services.gateway.clients import clients_of
from services.gateway.pages.staff.common import REFUSED, messages_of, structure_id
from services.gateway.web.forms import FormError, is_uuid, iso_day
from services.gateway.web.guards import STAFF, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account

NOT_ANSWERED = "Non renseigné"
CSV_HEADER = ("Liste", "Nom", "Prénom", "Arrivée", "Départ", "PAI", "Régime alimentaire", "Droit à l'image",
              "Autorisés à récupérer l'enfant", "À appeler en urgence")


def _day(request: web.Request) -> date:
    """The day asked for (`date`, AAAA-MM-JJ), tomorrow by default: the team prints the next day's lists."""
    raw = request.query.get("date")
    return iso_day(raw, "La date") if raw else paris_today() + timedelta(days=1)


def day_label(day: date, today: date) -> str:
    """« Demain », « Aujourd'hui » or the day written out (« Jeudi 4 Février 2027 »)."""
    return {today: "Aujourd'hui", today + timedelta(days=1): "Demain"}.get(day) or fr.written_day(day)


def yes_no(value: bool | None) -> str:
    return NOT_ANSWERED if value is None else ("Oui" if value else "Non")


def person(p: dict) -> str:
    """« Mamie MARTIN (Grand-mère) 05 56 00 00 00 »."""
    return " ".join(part for part in (p["name"], f"({p['relationship']})" if p["relationship"] else "", p["phone"])
                    if part)


def child_row(child: dict, flags: dict | None) -> dict:
    """A child of the roster with its flags as the page and the file write them."""
    flags = flags or {}
    return {**child, "pai": flags.get("pai"), "pai_text": yes_no(flags.get("pai")),
            "diets": ", ".join(flags.get("diets") or []) or ("—" if flags else NOT_ANSWERED),
            "image_rights": flags.get("image_rights"), "image_text": yes_no(flags.get("image_rights")),
            "pick_up": [person(p) for p in flags.get("pick_up") or []],
            "emergency": [person(p) for p in flags.get("emergency") or []]}


async def _roster(request: web.Request, account: Account, activity_id: str, day: date) -> dict:
    """The roster with each child's flags: booking's groups, dossier's flags composed."""
    if not is_uuid(activity_id):
        raise FormError("Choisissez une activité dans la liste.", title="Activité invalide")
    clients = clients_of(request)
    roster = await clients.booking.roster(account.identity, activity_id, day)
    ids = [c["child_id"] for g in roster["groups"] for c in g["children"]]
    flags = await clients.dossier.roster_flags(account.identity, roster["activity"]["structure_id"], ids)
    for group in roster["groups"]:
        group["children"] = [child_row(c, flags.get(c["child_id"])) for c in group["children"]]
    return roster


@signed_in(roles=STAFF)
async def roster_page(request: web.Request, account: Account) -> web.Response:
    sid = structure_id(account)
    activities = await clients_of(request).booking.activities(account.identity, sid)
    chosen, roster, errors, status = request.query.get("activite", ""), None, None, 200
    try:
        day = _day(request)
    except FormError as exc:
        day, errors, status = paris_today() + timedelta(days=1), messages_of(exc), exc.status
    if chosen and not errors:
        try:
            roster = await _roster(request, account, chosen, day)
        except REFUSED as exc:  # not an activity of theirs, or not one at all: said in French
            errors, status = messages_of(exc), exc.status
    return render(request, "gestion_listes.html", status=status, section="listes", activities=activities,
                  chosen=chosen, day=day.isoformat(), day_label=day_label(day, paris_today()), roster=roster,
                  errors=errors)


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:60] or "activite"


@signed_in(roles=STAFF)
async def roster_csv(request: web.Request, account: Account) -> web.Response:
    structure_id(account)
    roster = await _roster(request, account, request.query.get("activite", ""), _day(request))
    lines = [[group["title"], excel.safe_text(c["last_name"]), excel.safe_text(c["first_name"]), c["arrival"],
              c["departure"], c["pai_text"], excel.safe_text(c["diets"]), c["image_text"],
              excel.safe_text(" ; ".join(c["pick_up"])), excel.safe_text(" ; ".join(c["emergency"]))]
             for group in roster["groups"] for c in group["children"]]
    name = f"liste-presence-{_slug(roster['activity']['name'])}-{roster['date']}.csv"
    return web.Response(body=excel.excel_csv(CSV_HEADER, lines), content_type=excel.CONTENT_TYPE, charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    return f"{count} {word if count < 2 else (plural_word or word + 's')}"


def summary_sentence(label: str, counts: dict) -> str:
    """« Demain : 212 repas dont 14 sans porc, 9 végétariens, 3 PAI »."""
    details = [f"{counts['no_pork']} sans porc", plural(counts["vegetarian"], "végétarien"), f"{counts['pai']} PAI"]
    return f"{label} : {counts['meals']} repas dont {', '.join(details)}"


@signed_in(roles=STAFF)
async def summary_page(request: web.Request, account: Account) -> web.Response:
    sid = structure_id(account)
    clients = clients_of(request)
    try:
        day = _day(request)
    except FormError as exc:
        day = paris_today() + timedelta(days=1)
        return render(request, "gestion_resume.html", status=400, section="listes", day=day.isoformat(),
                      errors=messages_of(exc), activities=[], sentence=None, day_label=day_label(day, paris_today()))
    activities = [a for a in await clients.booking.structure_day(account.identity, sid, day)
                  if a["opened"] or a["expected"] or a["waitlisted"] or a["pending"]]
    counts = await clients.dossier.day_summary(account.identity, sid, [
        {"key": a["id"], "serves_meal": a["serves_meal"], "child_ids": a["expected"]} for a in activities])
    by_key = {c["key"]: c for c in counts["activities"]}
    for a in activities:
        a["counts"] = by_key.get(a["id"], {})
    label = day_label(day, paris_today())
    return render(request, "gestion_resume.html", section="listes", day=day.isoformat(), day_label=label,
                  activities=activities, counts=counts, sentence=summary_sentence(label, counts))


def routes(app: web.Application) -> None:
    app.router.add_get("/gestion/listes", roster_page)
    app.router.add_get("/gestion/listes/export.csv", roster_csv)
    app.router.add_get("/gestion/resume", summary_page)
