"""What the dossier pages share: the family's contacts (as a list the pages may show empty), a refusal's
French detail, and a contact's refusal said plainly."""

from __future__ import annotations

from aiohttp import web

from services.gateway.clients import ClientError, clients_of
from services.gateway.web.session import Account


async def family_contacts(request: web.Request, account: Account) -> list[dict]:
    try:
        return await clients_of(request).dossier.contacts(account.identity)
    except ClientError:
        return []


def detail(exc: ClientError, default: str) -> str:
    return exc.detail_given or default


def contact_error(exc: ClientError) -> str:
    if isinstance(exc.body, dict) and isinstance(exc.body.get("errors"), list) and exc.body["errors"]:
        return "Vérifiez le contact : nom et prénom obligatoires (100 caractères au plus), téléphone 30 caractères au plus."
    return detail(exc, "Le contact n'a pas pu être enregistré : vérifiez le nom et le prénom.")
