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
    monkeypatch.setenv("PORTAIL_AMQP_URL", "amqp://portail:secret@127.0.0.1:5672/portail")


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


# -- no default secret (issue 13) -------------------------------------------------------------------------
def _settings_classes():
    from services.auth.settings import AuthSettings
    from services.billing.settings import BillingSettings
    from services.booking.app import BookingSettings
    from services.dossier.settings import DossierSettings
    from services.gateway.settings import GatewaySettings
    from services.notify.settings import NotifySettings

    return [ServiceSettings, AuthSettings, BookingSettings, DossierSettings, NotifySettings, BillingSettings,
            GatewaySettings]


SECRET_WORDS = ("secret", "key", "token", "password", "amqp_url", "database_url")
# Secrets that may be absent, meaning "none", never a made-up value: SMTP without authentication,
# no key rotation under way.
OPTIONAL_SECRETS = {"smtp_username", "smtp_password", "dossier_old_keys"}


@pytest.mark.parametrize("cls", _settings_classes(), ids=lambda c: c.__name__)
def test_no_secret_has_a_default_value(cls):
    secrets = {name: field for name, field in cls.model_fields.items() if any(w in name for w in SECRET_WORDS)}
    assert "identity_secret" in secrets
    for name, field in secrets.items():
        if name in OPTIONAL_SECRETS:
            assert field.default in (None, ""), name
        else:
            assert field.is_required(), f"{cls.__name__}.{name} has a default value"


@pytest.mark.parametrize("cls_name, variable, present", [
    ("ServiceSettings", "PORTAIL_AMQP_URL", {}),  # RabbitMQ's credentials: no guest/guest by default
    ("BillingSettings", "PORTAIL_PAYMENT_PROVIDER_SECRET", {}),
    ("GatewaySettings", "PORTAIL_METRICS_TOKEN", {}),
    ("DossierSettings", "PORTAIL_DOSSIER_KEY", {}),
    ("BillingSettings", "PORTAIL_IDENTITY_SECRET", {"PORTAIL_PAYMENT_PROVIDER_SECRET": "p" * 40}),
    ("GatewaySettings", "PORTAIL_IDENTITY_SECRET", {"PORTAIL_METRICS_TOKEN": "m" * 40}),
])
def test_a_missing_secret_is_named_in_french(monkeypatch, capsys, cls_name, variable, present):
    cls = {c.__name__: c for c in _settings_classes()}[cls_name]
    for name, value in present.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(variable, raising=False)
    with pytest.raises(SettingsError) as info:
        load_settings(cls)
    assert f"la variable d'environnement {variable} est obligatoire mais absente" in str(info.value)
    assert variable in capsys.readouterr().err


def test_short_payment_secret_and_metrics_token_are_refused(monkeypatch):
    from services.billing.settings import BillingSettings
    from services.gateway.settings import GatewaySettings

    monkeypatch.setenv("PORTAIL_PAYMENT_PROVIDER_SECRET", "court")
    monkeypatch.setenv("PORTAIL_METRICS_TOKEN", "court")
    for cls, variable in ((BillingSettings, "PORTAIL_PAYMENT_PROVIDER_SECRET"), (GatewaySettings, "PORTAIL_METRICS_TOKEN")):
        with pytest.raises(SettingsError) as info:
            load_settings(cls)
        assert f"{variable} est invalide : au moins 32 caractères sont attendus" in str(info.value)
        assert "court" not in str(info.value)


def test_development_mode_is_off_unless_switched_on(monkeypatch):
    """Development mode (eopayment's dummy payment backend, its local page) is never on by default."""
    from services.billing.settings import BillingSettings
    from services.gateway.settings import GatewaySettings

    monkeypatch.setenv("PORTAIL_PAYMENT_PROVIDER_SECRET", "p" * 40)
    monkeypatch.setenv("PORTAIL_METRICS_TOKEN", "m" * 40)
    assert load_settings(BillingSettings).development is False
    assert load_settings(GatewaySettings).development is False
    monkeypatch.setenv("PORTAIL_DEVELOPMENT", "1")
    assert load_settings(BillingSettings).development is True
    assert load_settings(GatewaySettings).development is True
