"""The profile's « Rappels par courriel » (issue 19): a family turns the automatic reminders (a booking period
not booked, a dossier incomplete before the campaign closes) off or on again; notify keeps the choice."""

from __future__ import annotations

from aiohttp import web

from services.gateway.clients import Unavailable, clients_of
from services.gateway.web.csrf import checked_form
from services.gateway.web.guards import PARENT, signed_in
from services.gateway.web.session import Account


async def reminders_of(request: web.Request, account: Account) -> bool | None:
    """What the profile shows: the family's choice; None for staff, or while notify does not answer."""
    if account.identity.role != "parent":
        return None
    try:
        return await clients_of(request).notify.reminder_preference(account.identity)
    except Unavailable:
        return None


@signed_in(roles=PARENT)
async def reminders_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    await clients_of(request).notify.set_reminder_preference(account.identity, form.get("rappels") == "oui")
    raise web.HTTPSeeOther("/profil?fait=rappels")


def routes(app: web.Application) -> None:
    app.router.add_post("/profil/rappels", reminders_submit)
