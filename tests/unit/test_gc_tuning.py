"""The garbage collector of every service process is tuned once the service has started (kit/gc_tuning.py):
the startup's objects frozen out of the collections, young collections every YOUNG_THRESHOLD allocations —
wired in the processes' entry points (booking's and the other services' `Service.main`, the gateway's `main`),
which hand aiohttp an app that does it once its contexts are up."""

from __future__ import annotations

import asyncio
import gc

import pytest
from aiohttp import web

import kit.service
import services.gateway.app as gateway_app
from kit import gc_tuning
from services.booking.app import service as booking


@pytest.fixture
def collector():
    """The test process's collector put back as it was."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_tuning_freezes_what_survives_and_collects_the_young_less_often(collector):
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    survivor = [object() for _ in range(10)]
    gc_tuning.tune_garbage_collector()
    assert gc.get_freeze_count() > len(survivor)
    assert gc.get_threshold()[0] == gc_tuning.YOUNG_THRESHOLD > 700


def _captured(monkeypatch, module) -> list[web.Application]:
    """The app the entry point hands aiohttp; the process-wide logging and tracing it sets up first are left
    as the test process has them."""
    apps: list[web.Application] = []
    monkeypatch.setattr(module.web, "run_app", lambda app, **_kwargs: apps.append(app))
    monkeypatch.setattr(module, "configure_logging", lambda *_args, **_kwargs: None)
    monkeypatch.setattr(module, "setup_tracing", lambda *_args, **_kwargs: None)
    return apps


def _settings(cls):
    return cls.model_construct(log_level="WARNING", otel_exporter="none", database_url="postgresql://x/y",
                               amqp_url="amqp://x/", identity_secret="s" * 32, metrics_token="m" * 32)


@pytest.mark.parametrize("entry", ["booking", "gateway"])
def test_each_process_tunes_its_collector_once_started(entry, monkeypatch, collector):
    if entry == "booking":
        apps = _captured(monkeypatch, kit.service)
        monkeypatch.setattr(kit.service, "load_settings", _settings)
        booking.main([])
    else:
        apps = _captured(monkeypatch, gateway_app)
        monkeypatch.setattr(gateway_app, "load_settings", _settings)
        gateway_app.main()
    [app] = apps
    # registered after the contexts (pools, caches, warm-up), so that what they hold is frozen with the rest
    assert list(app.on_startup)[-1] is gc_tuning.once_started
    gc.unfreeze()
    asyncio.run(gc_tuning.once_started(app))
    assert gc.get_freeze_count() > 0 and gc.get_threshold()[0] == gc_tuning.YOUNG_THRESHOLD
