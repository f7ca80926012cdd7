"""The account's pages: sign-in, the first steps (new password, RGPD and CGU), password reset, profile."""

from __future__ import annotations

from aiohttp import web

from services.gateway.pages.account import consents, password, profile, reminders, reset, signin


def routes(app: web.Application) -> None:
    for screen in (signin, password, consents, reset, profile):
        screen.routes(app)
    reminders.routes(app)  # the automatic reminders' choice (issue 19)
