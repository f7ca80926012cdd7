"""Mail templates (French), rendered without I/O beyond reading the template files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    UndefinedError,
    select_autoescape,
)

_DIR = Path(__file__).parent / "templates"
_text_env = Environment(loader=FileSystemLoader(_DIR), undefined=StrictUndefined, autoescape=False,
                        keep_trailing_newline=True)
_html_env = Environment(loader=FileSystemLoader(_DIR), undefined=StrictUndefined,
                        autoescape=select_autoescape(["html"]))


class TemplateError(ValueError):
    """The command names a template or parameters that cannot make a mail."""


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str | None


def render(template: str, params: dict[str, str]) -> RenderedMail:
    try:
        subject = _text_env.get_template(f"{template}.subject").render(**params).strip()
        text = _text_env.get_template(f"{template}.txt").render(**params)
    except TemplateNotFound as exc:
        raise TemplateError(f"modèle de courriel inconnu : {template}") from exc
    except UndefinedError as exc:
        raise TemplateError(f"paramètre manquant pour le modèle {template} : {exc.message}") from exc
    if not subject or "\n" in subject:
        raise TemplateError(f"objet de courriel invalide pour le modèle {template}")
    try:
        html = _html_env.get_template(f"{template}.html").render(**params)
    except TemplateNotFound:
        html = None
    except UndefinedError as exc:
        raise TemplateError(f"paramètre manquant pour le modèle {template} : {exc.message}") from exc
    return RenderedMail(subject, text, html)
