"""Paying an invoice online through eopayment: the family is sent to its structure's payment backend
(billing records the pending transaction first); the return from the bank, parsed and checked by billing,
sends the family back to its consumptions with the outcome (paid, refused, cancelled, expired, waiting).
In development only, /paiement-dummy/ stands in for the page of eopayment's `dummy` backend
(https://dummy-payment.entrouvert.com/, unreachable): it takes the same query parameters, notifies the
portal server to server, then sends the browser back to the return address."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode, urlsplit

import aiohttp
from aiohttp import web

from services.gateway.clients import ClientError, Failed, NotFound, Unavailable, clients_of
from services.gateway.web.csrf import checked_form
from services.gateway.web.errors import PageError
from services.gateway.web.forms import is_uuid
from services.gateway.web.guards import PARENT, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import SETTINGS, Account

NOT_STARTED = "Le paiement en ligne n'a pas pu démarrer. Réessayez plus tard."
RETURN_NOTICES = {"paid": "ok", "cancelled": "annule", "denied": "refuse", "expired": "expire", "pending": "attente",
                  "error": "erreur"}
DUMMY_FIELDS = ("transaction_id", "amount", "email", "return_url", "direct_notification_url", "origin", "orderid")


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
    emails = account.data.get("emails") or []
    try:
        target = await clients_of(request).billing.pay_online(account.identity, invoice_id,
                                                              str(emails[0]) if emails else "")
    except NotFound:
        raise web.HTTPNotFound() from None
    except ClientError as exc:
        if isinstance(exc, Unavailable) and not exc.answered:
            raise
        raise _payment_refused(exc) from exc
    if not target.startswith(("https://", "http://")):
        raise PageError(502, "Paiement impossible", NOT_STARTED)
    raise web.HTTPSeeOther(target)


async def bank_return(request: web.Request) -> web.Response:
    """The family back from the bank (GET or POST, as the backend does): billing parses and checks the answer
    with eopayment, then the family sees the outcome on its consumptions page. No session needed here (a
    bank's POST carries no cookie); the consumptions page asks for one."""
    structure_id = request.match_info["structure_id"]
    if not is_uuid(structure_id):
        raise web.HTTPNotFound()
    query = request.query_string.encode() if request.method == "GET" else (await request.read())[:64 * 1024]
    status, answer = await clients_of(request).billing.bank_answer("return", structure_id, query)
    answered = answer if status == 200 and isinstance(answer, dict) else {}
    state = answered.get("state", "error")
    if state == "pending" and answered.get("result") not in ("waiting", "received", "accepted"):
        state = "error"  # neither paid nor waiting: the family is told nothing was confirmed
    raise web.HTTPSeeOther("/consommations?" + urlencode({"paiement": RETURN_NOTICES.get(state, "erreur")}))


# -- development only: the dummy backend's page --------------------------------------------------------------------
def _own(request: web.Request, url: str) -> bool:
    own, given = urlsplit(request.app[SETTINGS].public_url), urlsplit(url)
    return (given.scheme, given.netloc) == (own.scheme, own.netloc)


@signed_in(roles=PARENT)
async def dummy_page(request: web.Request, account: Account) -> web.Response:
    """The page of eopayment's dummy backend, served locally in development: "Payer" or "Annuler". It calls back only addresses of this portal (never an open redirect)."""
    source = request.query if request.method == "GET" else await checked_form(request)
    fields = {k: str(source.get(k, ""))[:500] for k in DUMMY_FIELDS}
    if not fields["transaction_id"] or not _own(request, fields["return_url"]) \
            or not _own(request, fields["direct_notification_url"]):
        raise PageError(400, "Requête invalide", "Paiement de test incomplet.")
    if request.method == "GET":
        return render(request, "paiement_dummy.html", fields=fields)
    # the dummy backend knows only "ok" (paid) and its absence (an error): "Annuler" returns without paying
    outcome = {"payer": {"ok": "1", "signed": "1"}}.get(request.match_info.get("action", ""), {"reason": "cancelled"})
    query = urlencode({"transaction_id": fields["transaction_id"], "amount": fields["amount"], **outcome})
    if "ok" in outcome:
        async with aiohttp.ClientSession() as http, http.post(fields["direct_notification_url"], data=query,
                                                              headers={"Content-Type":
                                                                       "application/x-www-form-urlencoded"}) as resp:
            if resp.status >= 400:
                raise PageError(502, "Paiement non confirmé", "Le portail a refusé la notification de paiement.")
    separator = "&" if "?" in fields["return_url"] else "?"
    raise web.HTTPSeeOther(f"{fields['return_url']}{separator}{query}")


def routes(app: web.Application) -> None:
    app.router.add_post("/consommations/payer", pay_online)
    app.router.add_get(r"/paiement/retour/{structure_id}", bank_return)
    app.router.add_post(r"/paiement/retour/{structure_id}", bank_return)
    if app[SETTINGS].development:  # development and tests only; otherwise this page does not exist
        app.router.add_get("/paiement-dummy/", dummy_page)
        app.router.add_post(r"/paiement-dummy/{action:payer|annuler}", dummy_page)
