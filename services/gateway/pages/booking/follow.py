"""Réservations: the follow-up of the family's requests (filters by child, activity, period and outcome),
and the private calendar link (iCal) created, revoked and served."""

from __future__ import annotations

from aiohttp import web

from services.gateway.clients import clients_of
from services.gateway.pages.booking.common import family_children, parent_page, pick_child
from services.gateway.web import forms
from services.gateway.web.csrf import checked_form
from services.gateway.web.errors import PageError
from services.gateway.web.render import render
from services.gateway.web.session import SETTINGS, Account

FOLLOW_TYPES = (("pending", "En attente réponse"), ("waitlisted", "En liste d'attente"), ("refused", "Refusées"),
                ("accepted", "Acceptées"), ("transmitted", "Transmise"), ("not_transmitted", "Non transmise"))


async def follow_page(request: web.Request, account: Account, params, feed_url: str | None = None,
                      feed_message: str | None = None) -> web.Response:
    children = await family_children(request, account)
    child = pick_child(children, params.get("enfant")) if params.get("enfant") else None
    activities = {a["id"]: a for c in children for a in c["activities"]}
    activity_id = params.get("activite") or ""
    if activity_id and activity_id not in activities:
        raise PageError(404, "Activité introuvable", "Cette activité n'est pas proposée à votre famille.")
    start = forms.iso_day(params.get("du"), "La date de début") if params.get("du") else None
    end = forms.iso_day(params.get("au"), "La date de fin") if params.get("au") else None
    types = [t for t in params.getall("types", []) if t in dict(FOLLOW_TYPES)] if params.get("filtre") \
        else [t for t, _ in FOLLOW_TYPES]
    data = await clients_of(request).booking.follow_up(account.identity, types, child["id"] if child else None,
                                                       activity_id or None, start, end)
    return render(request, "reservations_suivi.html", children=children, child=child,
                  activities=sorted(activities.values(), key=lambda a: a["name"]), activity_id=activity_id,
                  start=start.isoformat() if start else "", end=end.isoformat() if end else "",
                  types=types, follow_types=FOLLOW_TYPES, lines=data["lines"], total=data["total_accepted"],
                  feed_url=feed_url, feed_message=feed_message)


# After a change the page is shown by a redirect (POST/redirect/GET). The new private link, shown once, rides
# along in a short-lived HttpOnly cookie of this page only: never in an address (history, logs).
FOLLOW_PATH, FEED_COOKIE, FEED_SECONDS = "/reservations/suivi", "portail_lien_prive", 600
FEED_DONE = {"lien-cree": "Votre lien privé a été créé. Tout ancien lien ne fonctionne plus.",
             "lien-supprime": "Votre lien privé a été supprimé : il ne fonctionne plus."}


@parent_page
async def follow_get(request: web.Request, account: Account) -> web.Response:
    done = request.query.get("fait", "")
    token = request.cookies.get(FEED_COOKIE, "") if done == "lien-cree" else ""
    base = request.app[SETTINGS].public_url.rstrip("/")
    feed_url = f"{base}/calendrier/{token}.ics" if token.replace("-", "").replace("_", "").isalnum() else None
    return await follow_page(request, account, request.query, feed_url=feed_url, feed_message=FEED_DONE.get(done))


@parent_page
async def feed_create(request: web.Request, account: Account) -> web.Response:
    await checked_form(request)
    token = await clients_of(request).booking.create_feed(account.identity)
    response = web.HTTPSeeOther(f"{FOLLOW_PATH}?fait=lien-cree#titre-ical")
    response.set_cookie(FEED_COOKIE, token, path=FOLLOW_PATH, max_age=FEED_SECONDS, httponly=True, samesite="Lax",
                        secure=request.app[SETTINGS].cookie_secure)
    raise response


@parent_page
async def feed_revoke(request: web.Request, account: Account) -> web.Response:
    await checked_form(request)
    await clients_of(request).booking.revoke_feed(account.identity)
    response = web.HTTPSeeOther(f"{FOLLOW_PATH}?fait=lien-supprime#titre-ical")
    response.del_cookie(FEED_COOKIE, path=FOLLOW_PATH)
    raise response


async def calendar_feed(request: web.Request) -> web.Response:
    """The family's private iCal URL: the token in the path is the credential (no session needed)."""
    ics = await clients_of(request).booking.feed(request.match_info["token"])
    if ics is None:
        raise web.HTTPNotFound()
    return web.Response(body=ics, content_type="text/calendar", charset="utf-8")


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/reservations/suivi", follow_get)
    r.add_post("/reservations/calendrier", feed_create)
    r.add_post("/reservations/calendrier/supprimer", feed_revoke)
    r.add_get(r"/calendrier/{token:[A-Za-z0-9_-]+}.ics", calendar_feed)
