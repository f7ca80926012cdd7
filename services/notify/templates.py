"""The mails written from their templates (French, in templates/): a command's template with its
parameters, and the morning digest from its layout (domain/digest_layout.py). No I/O beyond reading the
template files."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    UndefinedError,
    select_autoescape,
)

from services.notify.domain.digest_layout import DigestLayout

_DIR = Path(__file__).parent / "templates"
_text_env = Environment(loader=FileSystemLoader(_DIR), undefined=StrictUndefined, autoescape=False,
                        keep_trailing_newline=True)
_html_env = Environment(loader=FileSystemLoader(_DIR), undefined=StrictUndefined,
                        autoescape=select_autoescape(["html"]))


# The digest: autoescape for digest.html only; trim/lstrip so the block tags leave no stray lines in the text part.
_digest_env = Environment(loader=FileSystemLoader(_DIR), undefined=StrictUndefined,
                          autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False,
                                                       default=False),
                          keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)


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


def render_digest(layout: DigestLayout, portal_url: str) -> RenderedMail:
    """The digest mail of this layout, its link to the portal at the end."""
    context = {**asdict(layout), "portal_url": portal_url}
    subject = " ".join(_digest_env.get_template("digest.subject").render(context).split())
    return RenderedMail(subject, _digest_env.get_template("digest.txt").render(context),
                        _digest_env.get_template("digest.html").render(context))
