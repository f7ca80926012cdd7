"""What every booking page shares: the parent-only guard that turns a refusal into its French page, the
family's children and the choice of a child and an activity, days written in French, and the actions
booking allows on a day."""

from __future__ import annotations

from datetime import date
from functools import wraps

from aiohttp import web

from kit import fr
from services.gateway.clients import ClientError, clients_of
from services.gateway.web.errors import PageError
from services.gateway.web.forms import FormError
from services.gateway.web.guards import PARENT, signed_in
from services.gateway.web.session import Account

NOT_FOUND = "L'enfant ou l'activité demandé est introuvable."
FORBIDDEN = "Vous n'avez pas accès à ces réservations."


def parent_page(handler):
    """A page of the parent's section: bad input and refusals become a French 4xx page."""

    @signed_in(roles=PARENT)
    @wraps(handler)
    async def wrapper(request: web.Request, account: Account):
        try:
            return await handler(request, account)
        except (ClientError, FormError) as exc:
            raise PageError.of(exc, not_found=NOT_FOUND, forbidden=FORBIDDEN) from exc

    return wrapper


def day_words(d: date) -> str:
    """"vendredi 31 janvier" (the year left out)."""
    return fr.long_date(d).rsplit(" ", 1)[0]


def actions_of(entry: dict) -> list[str]:
    """What booking allows on this day (or activity of a day), among "reserve" and "cancel": its answer's
    `actions`, the one source of that rule."""
    return list(entry.get("actions") or [])


async def family_children(request: web.Request, account: Account) -> list[dict]:
    return await clients_of(request).booking.children(account.identity)


def pick_child(children: list[dict], raw: str | None, required: bool = False) -> dict:
    if not children:
        raise PageError(404, "Aucun enfant", "Aucun enfant de votre famille n'est inscrit pour les réservations. "
                        "Complétez votre Dossier Famille puis demandez à votre structure d'inscrire vos enfants "
                        "aux activités.")
    if not raw:
        if required:
            raise PageError(400, "Enfant manquant", "Choisissez l'enfant concerné.")
        # the first page shows a child who has something to book
        return next((c for c in children if c["activities"]), children[0])
    child = next((c for c in children if c["id"] == raw), None)
    if child is None:
        raise PageError(404, "Enfant introuvable", "Cet enfant ne fait pas partie de votre famille.")
    return child


def pick_activity(child: dict, raw: str | None) -> dict | None:
    if not raw:
        return None
    activity = next((a for a in child["activities"] if a["id"] == raw), None)
    if activity is None:
        raise PageError(404, "Activité introuvable", "Cette activité n'est pas proposée pour cet enfant.")
    return activity


def child_name(child: dict) -> str:
    return f"{child['last_name']} {child['first_name']}"
