"""`make run` (tools.devstack) gives every process the secrets it requires, since none has a default: random
ones for each run unless the environment sets them; and it switches the local test payment provider on
(development only) with billing paying back to the gateway's own address."""

from __future__ import annotations

import os

import pytest

from kit.settings import load_settings
from tools.devstack import DevStack

PROCESSES = ("gateway", "auth", "booking", "dossier", "notify", "billing")
BASE = {"PORTAIL_DEV_PORT_BASE": "18080", "PORTAIL_DOSSIER_KEY": "k" * 44}  # (no var/dossier.key written)


def _settings_cls(name: str):
    if name == "gateway":
        from services.gateway.settings import GatewaySettings

        return GatewaySettings
    import importlib

    return importlib.import_module(f"services.{name}.app").service.settings_cls


@pytest.mark.parametrize("name", PROCESSES)
def test_each_process_gets_all_its_settings(monkeypatch, name):
    env = DevStack(dict(BASE)).process_env(name)
    for key in [k for k in os.environ if k.startswith("PORTAIL_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith("PORTAIL_"):
            monkeypatch.setenv(key, value)
    settings = load_settings(_settings_cls(name))  # would stop with "… est obligatoire mais absente"
    assert len(settings.identity_secret) >= 32
    if name in ("gateway", "billing"):
        assert settings.development is True
        assert settings.public_url.rstrip("/") == "http://127.0.0.1:18080"


def test_dev_secrets_are_random_for_each_run_unless_given():
    first, second = DevStack(dict(BASE)), DevStack(dict(BASE))
    for key, process in (("PORTAIL_IDENTITY_SECRET", "auth"), ("PORTAIL_PAYMENT_PROVIDER_SECRET", "billing"),
                         ("PORTAIL_METRICS_TOKEN", "gateway")):
        one, other = first.process_env(process)[key], second.process_env(process)[key]
        assert len(one) >= 32 and one != other, key
        given = DevStack({**BASE, key: "g" * 40}).process_env(process)[key]
        assert given == "g" * 40, key
    # the same identity secret for every process of one run, or nothing would verify
    assert len({first.process_env(p)["PORTAIL_IDENTITY_SECRET"] for p in PROCESSES}) == 1
    # a process receives only its own secrets
    assert "PORTAIL_PAYMENT_PROVIDER_SECRET" not in first.process_env("auth")
    assert "PORTAIL_METRICS_TOKEN" not in first.process_env("billing")
