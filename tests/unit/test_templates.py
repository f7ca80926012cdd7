"""notify's French mail templates, and the gateway's page templates under its Content-Security-Policy."""

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


# -- the gateway's pages under its Content-Security-Policy (no inline script, handler or style) ------
GATEWAY = Path(__file__).resolve().parents[2] / "services/gateway"


class _InlineFinder:
    """What `script-src 'self'; style-src 'self'` would block in a template, as (line, what) pairs."""

    def __init__(self, text: str):
        from html.parser import HTMLParser

        self.found: list[tuple[int, str]] = []
        self.scripts: list[str] = []
        finder = self

        class Parser(HTMLParser):
            in_script = False

            def handle_starttag(self, tag, attrs):
                line = self.getpos()[0]
                names = {name.lower(): value or "" for name, value in attrs}
                for name, value in names.items():
                    if name.startswith("on"):
                        finder.found.append((line, f"<{tag} {name}=…>"))
                    if name == "style":
                        finder.found.append((line, f"<{tag} style=…>"))
                    if name in ("href", "src", "action", "formaction") and value.strip().lower().startswith(
                            "javascript:"):
                        finder.found.append((line, f"<{tag} {name}=javascript:…>"))
                if tag == "style":
                    finder.found.append((line, "<style>"))
                if tag == "script":
                    self.in_script = True
                    if "src" not in names:
                        finder.found.append((line, "<script> without src"))
                    else:
                        finder.scripts.append(names["src"])

            def handle_endtag(self, tag):
                if tag == "script":
                    self.in_script = False

            def handle_data(self, data):
                if self.in_script and data.strip():
                    finder.found.append((self.getpos()[0], "inline script content"))

        Parser().feed(text)


def test_the_finder_sees_what_the_policy_blocks():
    bad = _InlineFinder('<p style="color:red" onclick="x()"><a href="javascript:x()">a</a></p>'
                        '<script>alert(1)</script><style>p{}</style><select onchange="f()"></select>')
    assert len(bad.found) == 7, bad.found
    assert _InlineFinder('<script src="/static/portail.js" defer></script><p class="x">').found == []


@pytest.mark.parametrize("template", sorted(p.name for p in (GATEWAY / "templates").glob("*.html")))
def test_no_inline_script_handler_or_style_in_gateway_templates(template):
    finder = _InlineFinder((GATEWAY / "templates" / template).read_text(encoding="utf-8"))
    assert finder.found == [], f"{template}: {finder.found}"
    for src in finder.scripts:
        assert src.startswith("/static/") and (GATEWAY / "static" / src.removeprefix("/static/")).is_file(), src


@pytest.mark.parametrize("script", sorted(p.name for p in (GATEWAY / "static").glob("*.js")))
def test_static_scripts_need_nothing_the_policy_forbids(script):
    import re

    text = (GATEWAY / "static" / script).read_text(encoding="utf-8")
    for pattern in (r"\beval\s*\(", r"new\s+Function\s*\(", r"setTimeout\s*\(\s*[\"']", r"setInterval\s*\(\s*[\"']",
                    r"setAttribute\s*\(\s*[\"'](style|on\w+)[\"']", r"\.innerHTML\s*=", r"javascript:"):
        assert not re.search(pattern, text), (script, pattern)
