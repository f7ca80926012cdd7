"""notify's French mail templates."""

import typing
from pathlib import Path

import pytest

from contracts import NotifySendV1
from services.notify.templates import TemplateError, render

RESET = {"identifiant": "famille.martin", "lien": "https://portail.example.org/mot-de-passe/abc123"}


def test_password_reset():
    mail = render("password_reset", RESET)
    assert mail.subject == "Portail Famille : réinitialisation de votre mot de passe"
    for part in (mail.text, mail.html):
        assert "famille.martin" in part
        assert "https://portail.example.org/mot-de-passe/abc123" in part
    assert '<a href="https://portail.example.org/mot-de-passe/abc123">' in mail.html
    assert "1 heure" in mail.text  # default validity


def test_html_escapes_parameters_text_does_not():
    mail = render("password_reset", {**RESET, "identifiant": "<script>alert(1)</script>"})
    assert "<script>" not in mail.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in mail.html
    assert "<script>alert(1)</script>" in mail.text


def test_template_without_html_and_optional_parameters_left_out():
    mail = render("account_created", {"identifiant": "famille.martin"})
    assert mail.subject == "Portail Famille : votre compte famille est ouvert"
    assert mail.html is None
    assert "Votre identifiant : famille.martin" in mail.text
    assert "Portail Famille est ouvert" in mail.text
    assert "Accéder au portail" not in mail.text


def test_optional_parameters_given():
    mail = render("account_created", {"identifiant": "famille.martin", "structure": "CarteVille",
                                      "lien": "https://portail.example.org/"})
    assert "Portail Famille de CarteVille est ouvert" in mail.text
    assert "Accéder au portail : https://portail.example.org/" in mail.text


def test_missing_parameter():
    with pytest.raises(TemplateError) as info:
        render("password_reset", {"identifiant": "famille.martin"})
    assert "paramètre manquant" in str(info.value)
    assert "password_reset" in str(info.value)
    assert "lien" in str(info.value)


def test_unknown_template():
    with pytest.raises(TemplateError) as info:
        render("newsletter", {})
    assert "modèle de courriel inconnu" in str(info.value)
    assert "newsletter" in str(info.value)


def test_path_in_template_name_is_refused():
    with pytest.raises(TemplateError):
        render("../templates/password_reset", RESET)


def test_subject_cannot_carry_a_header():
    with pytest.raises(TemplateError, match="objet de courriel invalide"):
        render("message", {"objet": "Bonjour\nBcc: tout-le-monde@example.org", "texte": "..."})


def test_every_template_of_the_contract_exists():
    directory = Path(__file__).parents[2] / "services" / "notify" / "templates"
    templates = typing.get_args(NotifySendV1.model_fields["template"].annotation)
    for name in templates:
        assert (directory / f"{name}.subject").is_file(), name
        assert (directory / f"{name}.txt").is_file(), name
