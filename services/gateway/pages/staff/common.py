"""What the staff pages ("Gestion") share: the refusals shown next to a form (the gateway's own or a
service's, field names in French), the current structure, and the "done" notices after a redirect."""

from __future__ import annotations

from aiohttp import web

from services.gateway.clients import ClientError, Forbidden, NotFound, Refused
from services.gateway.web.forms import FormError
from services.gateway.web.session import Account

# What a form shows in its place: the gateway's refusal, or a service's (4xx).
REFUSED = (FormError, Refused, NotFound, Forbidden)

DONE = {
    "actualites": "✓ Les actualités ont bien été publiées",
    "activite": "✓ L'activité a bien été créée",
    "vacances": "✓ Les vacances scolaires ont bien été enregistrées",
    "fermeture": "✓ La fermeture a bien été enregistrée",
    "places": "✓ Le nombre de places a bien été modifié",
    "modifiee": "✓ L'activité a bien été modifiée",
    "inscription": "✓ Les inscriptions ont bien été enregistrées",
    "desinscription": "✓ L'enfant a bien été désinscrit",
    "tarif": "✓ Le tarif a bien été publié",
    "decision": "✓ La décision a bien été enregistrée",
    "securite": "✓ La famille devra choisir un nouveau mot de passe à sa prochaine connexion",
    "paiement": "✓ Le paiement a bien été enregistré",
    "dossier": "✓ La décision sur la fiche a bien été enregistrée",
    "renvoi": "✓ Le courriel va être renvoyé : son état se met à jour dans quelques instants",
    "garde": "✓ L'enfant est rattaché au second foyer (garde alternée)",
    # issue 19: exceptional closures and declared absences (pages/staff/closures.py)
    "fermee": "✓ La fermeture est enregistrée : les réservations de ces jours sont annulées, les familles prévenues",
    "levee": "✓ La fermeture est levée : les familles peuvent de nouveau réserver ces jours",
    "absence": "✓ La réponse à l'absence est enregistrée",
    "carence": "✓ Le délai de carence est enregistré",
}

# Service field names → French, for the validation errors a service returns.
FIELD_LABELS = {
    "name": "Nom", "start_time": "Heure de début", "end_time": "Heure de fin", "capacity": "Places",
    "days_before": "Nombre de jours", "at": "Heure limite", "weekdays": "Jours de la semaine", "start": "Début",
    "end": "Fin", "label": "Libellé", "effective_from": "Date d'application", "price_cents": "Prix",
    "qf_max": "Plafond de quotient familial", "reduced_price_cents": "Prix réduit",
    "reduced_from_rank": "Réduction à partir du rang", "identifiant": "Identifiant", "first_name": "Prénom",
    "last_name": "Nom", "birth_date": "Date de naissance", "emails": "Adresses courriel",
    "initial_password": "Mot de passe initial", "family_id": "Famille", "amount": "Montant", "method": "Moyen",
    "reference": "Référence", "month": "Mois", "school_year": "Année scolaire", "title": "Titre",
    "body_html": "Texte", "reason": "Motif", "news_html": "Actualités",
}


def messages_of(exc: FormError | ClientError) -> list[str]:
    """A refusal as the French sentences shown above the form."""
    return exc.messages(FIELD_LABELS)


def structure_id(account: Account) -> str:
    if not account.current_structure_id:
        raise web.HTTPForbidden(text="Aucune structure ne vous est rattachée.")
    return account.current_structure_id


def done_message(request: web.Request) -> str | None:
    return DONE.get(request.query.get("fait", ""))


def redirect(path: str, done: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{path}{'&' if '?' in path else '?'}fait={done}")


def hhmm(value) -> str:
    return str(value or "")[:5]
