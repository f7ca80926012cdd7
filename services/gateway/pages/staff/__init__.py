"""Gestion: the staff and administrators' pages, one structure at a time (the account's current structure,
chosen with the header's drop-down). Server-rendered, working without JavaScript; every form carries the
CSRF token; a service's refusal is shown with its French explanation, never as a 500."""

from __future__ import annotations

from aiohttp import web

from services.gateway.pages.staff import (
    activities,
    activity,
    activity_edit,
    campaign,
    closures,
    dashboard,
    enrolments,
    families,
    family,
    house_rules,
    mail_failures,
    online_payment,
    operations,
    requests,
    rosters,
    sheets,
    tax_certificates,
)


def routes(app: web.Application) -> None:
    for screen in (dashboard, activities, activity, requests, sheets, families, operations):
        screen.routes(app)
    rosters.routes(app)
    for screen in (activity_edit, enrolments):  # changing an activity, enrolments (issue 16)
        screen.routes(app)
    for screen in (family, mail_failures):  # a family's page, the failed mails
        screen.routes(app)
    for screen in (campaign, house_rules):  # the campaign's follow-up, the règlement intérieur
        screen.routes(app)
    tax_certificates.routes(app)  # the « attestations de frais de garde » (issue 19)
    closures.routes(app)  # exceptional closures and declared absences (issue 19)
    online_payment.routes(app)  # the structure's payment backend, the online transactions (issue 19)
