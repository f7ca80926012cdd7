"""The gateway reads its page templates once in production (no mtime asked of each page and of the templates it
extends at every render), and again after an edit in development mode (services/gateway/web/render.py)."""

from __future__ import annotations

from jinja2 import DictLoader

from services.gateway.app import build_app
from services.gateway.settings import GatewaySettings
from services.gateway.web import render
from tests.conftest import METRICS_TOKEN, SECRET


def settings(development: bool) -> GatewaySettings:
    return GatewaySettings(identity_secret=SECRET, metrics_token=METRICS_TOKEN, development=development)


def test_an_edited_template_is_read_again_in_development_mode_only(monkeypatch):
    pages = {"page.html": "première version"}
    monkeypatch.setattr(render._env, "loader", DictLoader(pages))  # a template whose source the test edits
    monkeypatch.setattr(render._env, "cache", {})
    monkeypatch.setattr(render._env, "auto_reload", render._env.auto_reload)  # put back afterwards

    build_app(settings(development=False))
    assert render.render_text("page.html") == "première version"
    pages["page.html"] = "version modifiée"
    assert render.render_text("page.html") == "première version"  # production: read once

    build_app(settings(development=True))
    assert render.render_text("page.html") == "version modifiée"  # make run: the edit shows at once
