"""Paying an invoice online: the family is sent to the provider's page (billing starts the checkout); and the
local test provider's page with its "Payer" / "Annuler" buttons (development and tests only)."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from aiohttp import web

from services.gateway.clients import ClientError, Failed, NotFound, Unavailable, clients_of
from services.gateway.web.csrf import checked_form
from services.gateway.web.errors import PageError
from services.gateway.web.forms import is_uuid
from services.gateway.web.guards import PARENT, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import SETTINGS, Account

NOT_STARTED = "Le paiement en ligne n'a pas pu démarrer. Réessayez plus tard."


def _payment_refused(exc: ClientError) -> PageError:
    if isinstance(exc, Unavailable) and not isinstance(exc, Failed):
        return PageError(503, "Paiement impossible", exc.detail_given or NOT_STARTED)
    if isinstance(exc, Failed):
        return PageError(502, "Paiement impossible", NOT_STARTED)
    status = 409 if exc.status == 409 else 400
    return PageError(status, "Paiement impossible", exc.detail_given or NOT_STARTED)


@signed_in(roles=PARENT)
async def pay_online(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    if not is_uuid(form.get("facture", "")):
        raise PageError(400, "Requête invalide", "Facture non reconnue.")
    invoice_id = str(uuid.UUID(form["facture"]))
    # back to this page of the portal's public address (billing refuses any other origin)
    return_url = f"{request.app[SETTINGS].public_url.rstrip('/')}/consommations"
    try:
        target = await clients_of(request).billing.pay_online(account.identity, invoice_id, return_url)
    except NotFound:
        raise web.HTTPNotFound() from None
    except ClientError as exc:
        if isinstance(exc, Unavailable) and not exc.answered:
            raise
        raise _payment_refused(exc) from exc
    if not target:
        raise PageError(502, "Paiement impossible", NOT_STARTED)
    local = urlsplit(target)
    if local.path.startswith("/paiement-test/"):  # the local test provider lives in this very gateway
        target = local.path
    raise web.HTTPSeeOther(target)


@signed_in(roles=PARENT)
async def test_provider_page(request: web.Request, account: Account) -> web.Response:
    """The local test payment provider's page and its "Payer"/"Annuler" buttons (a real provider hosts its
    own). Only with PORTAIL_TEST_PAYMENT_PROVIDER=1; only for the paying family, signed in; every action
    carries the session's CSRF token; it sends the family back only to a page of this portal."""
    billing = clients_of(request).billing
    ref = request.match_info["ref"]
    if request.method == "GET":
        try:
            checkout = await billing.test_checkout(account.identity, ref)
        except ClientError as exc:
            if isinstance(exc, Unavailable) and not exc.answered:
                raise
            raise web.HTTPNotFound() from None
        return render(request, "paiement_test.html", checkout=checkout)
    await checked_form(request)
    try:
        answer = await billing.test_checkout_action(account.identity, ref, request.match_info["action"])
    except NotFound:
        raise web.HTTPNotFound() from None
    except ClientError as exc:
        if isinstance(exc, Unavailable) and not exc.answered:
            raise
        raise PageError(502, "Paiement non confirmé", "Le paiement n'a pas pu être confirmé. Réessayez plus tard.") \
            from exc
    target = str(answer.get("redirect_url", "")) if isinstance(answer, dict) else ""
    own, given = urlsplit(request.app[SETTINGS].public_url), urlsplit(target)
    if (given.scheme, given.netloc) != (own.scheme, own.netloc):  # never an open redirect
        target = "/consommations"
    raise web.HTTPSeeOther(target)


def routes(app: web.Application) -> None:
    app.router.add_post("/consommations/payer", pay_online)
    if app[SETTINGS].test_payment_provider:  # development and tests only; otherwise these pages do not exist
        app.router.add_get(r"/paiement-test/{ref:[A-Za-z0-9_-]+}", test_provider_page)
        app.router.add_post(r"/paiement-test/{ref:[A-Za-z0-9_-]+}/{action:payer|annuler}", test_provider_page)
