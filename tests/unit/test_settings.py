"""Settings errors stop the process with a French message naming the variable."""

import os

import pytest

from kit.settings import ServiceSettings, SettingsError, load_settings

SECRET = "s" * 40


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("PORTAIL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PORTAIL_IDENTITY_SECRET", SECRET)
    monkeypatch.setenv("PORTAIL_DATABASE_URL", "postgresql://portail@127.0.0.1/booking")


def test_complete_environment_loads(monkeypatch):
    monkeypatch.setenv("PORTAIL_BUS_DELIVERY_LIMIT", "7")
    settings = load_settings(ServiceSettings)
    assert settings.bus_delivery_limit == 7
    assert settings.database_url == "postgresql://portail@127.0.0.1/booking"


def test_missing_database_url(monkeypatch, capsys):
    monkeypatch.delenv("PORTAIL_DATABASE_URL")
    with pytest.raises(SettingsError) as info:
        load_settings(ServiceSettings)
    message = str(info.value)
    assert "Configuration invalide" in message
    assert "PORTAIL_DATABASE_URL" in message
    assert "obligatoire mais absente" in message
    assert "PORTAIL_DATABASE_URL" in capsys.readouterr().err  # also said on stderr


@pytest.mark.parametrize("value, detail", [
    ("beaucoup", "un nombre entier est attendu"),
    ("0", "supérieure ou égale à 1"),
    ("1000", "inférieure ou égale à 100"),
])
def test_malformed_delivery_limit(monkeypatch, value, detail):
    monkeypatch.setenv("PORTAIL_BUS_DELIVERY_LIMIT", value)
    with pytest.raises(SettingsError) as info:
        load_settings(ServiceSettings)
    message = str(info.value)
    assert "PORTAIL_BUS_DELIVERY_LIMIT est invalide" in message
    assert detail in message
    assert "Input should" not in message  # pydantic's English wording is translated


def test_short_secret_is_named_but_not_echoed(monkeypatch):
    monkeypatch.setenv("PORTAIL_IDENTITY_SECRET", "trop-court-secret")
    with pytest.raises(SettingsError) as info:
        load_settings(ServiceSettings)
    message = str(info.value)
    assert "PORTAIL_IDENTITY_SECRET" in message and "32 caractères" in message
    assert "trop-court-secret" not in message


def test_every_bad_variable_is_listed(monkeypatch):
    monkeypatch.delenv("PORTAIL_DATABASE_URL")
    monkeypatch.setenv("PORTAIL_LOG_LEVEL", "TRACE")
    with pytest.raises(SettingsError) as info:
        load_settings(ServiceSettings)
    message = str(info.value)
    assert "PORTAIL_DATABASE_URL" in message and "PORTAIL_LOG_LEVEL" in message
    assert "valeurs possibles" in message


def test_settings_error_stops_the_process():
    assert issubclass(SettingsError, SystemExit)
