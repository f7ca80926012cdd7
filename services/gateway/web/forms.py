"""Reading posted forms and query strings: text, whole numbers, dates, hours, check boxes, amounts in euros,
months and identifiers. Bad input raises `FormError` with French sentences naming the field; a page shows
them next to its form (or as its error page, with the error's title)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date

from aiohttp import web

from contracts.errors import Invalid
from kit import fr

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_LOOSE_TIME = re.compile(r"([01]?\d|2[0-3])[:h]([0-5]\d)")
_DATES = (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"))

Form = Mapping[str, str]


class FormError(Invalid):
    """Input refused by the gateway before any service is called: French `messages`, and a `title` for
    a page that shows it alone."""

    def __init__(self, *messages: str, title: str = "Données invalides", status: int = 400):
        super().__init__(" ".join(messages))
        self.lines, self.title, self.status = list(messages), title, status

    def messages(self, _labels: Mapping[str, str] | None = None) -> list[str]:
        """As a client's refusal says them (so that a page shows both alike)."""
        return list(self.lines)


def text(form: Form, name: str, max_length: int = 200) -> str:
    return form.get(name, "").strip()[:max_length]


def checked(form: Form, name: str) -> bool:
    return form.get(name) in ("oui", "on", "1", "true")


def yes_no(raw: str | None) -> bool | None:
    """"oui" → True, "non" → False, anything else: not answered."""
    return {"oui": True, "non": False}.get((raw or "").strip())


def integer(form: Form, name: str, label: str, *, required: bool = False, minimum: int = 0) -> int | None:
    raw = form.get(name, "").strip()
    if not raw:
        if required:
            raise FormError(f"{label} : à renseigner.")
        return None
    try:
        value = int(raw)
    except ValueError:
        raise FormError(f"{label} : un nombre entier est attendu (« {raw[:20]} »).") from None
    if value < minimum:
        raise FormError(f"{label} : {minimum} au minimum.")
    return value


def day(form: Form, name: str, label: str, *, required: bool = True) -> str | None:
    """A date typed JJ/MM/AAAA (or AAAA-MM-JJ, as a date picker sends it), as ISO text."""
    raw = form.get(name, "").strip()
    if not raw:
        if required:
            raise FormError(f"{label} : à renseigner.")
        return None
    for pattern in _DATES:
        if m := pattern.fullmatch(raw):
            parts = m.groups() if pattern is _DATES[0] else tuple(reversed(m.groups()))
            try:
                return date(int(parts[0]), int(parts[1]), int(parts[2])).isoformat()
            except ValueError:
                break
    raise FormError(f"{label} : date invalide (« {raw[:20]} »), format attendu JJ/MM/AAAA.")


def iso_day(raw: str | None, what: str = "La date") -> date:
    """An AAAA-MM-JJ date (links and date pickers); refused with the title "Date invalide"."""
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        raise FormError(f"{what} doit être indiquée au format AAAA-MM-JJ.", title="Date invalide") from None


def hour(form: Form, name: str, label: str, default: str | None = None) -> str:
    """An hour typed HH:MM (or 8h30), as "08:30"."""
    raw = form.get(name, "").strip() or default or ""
    if not _LOOSE_TIME.fullmatch(raw):
        raise FormError(f"{label} : heure invalide (« {raw[:10]} »), format attendu HH:MM.")
    hours, minutes = re.split(r"[:h]", raw)
    return f"{int(hours):02d}:{minutes}"


def cents(raw: str, label: str, *, required: bool = True) -> int | None:
    """An amount in euros ("3,45", "3.45", "1 234,50 €") as integer cents; never negative."""
    raw = raw.strip()
    if not raw:
        if required:
            raise FormError(f"{label} : à renseigner.")
        return None
    try:
        value = fr.parse_euros(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise FormError(f"{label} : montant invalide (« {raw[:20]} »), exemple : 3,45.")
    return value


def month(raw: str | None, default: date) -> str:
    """A month AAAA-MM (`default`'s when none is given)."""
    if not raw:
        return default.strftime("%Y-%m")
    if not MONTH_RE.match(raw) or not 2000 <= int(raw[:4]) <= 2100:
        raise FormError("Le mois doit être indiqué au format AAAA-MM (par exemple 2026-03).", title="Mois invalide")
    return raw


def shift_month(value: str, delta: int) -> str:
    year, number = (int(p) for p in value.split("-"))
    index = year * 12 + number - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def uuid_or_404(raw: str | None) -> uuid.UUID:
    """An identifier from a path: anything else is a page that does not exist."""
    try:
        return uuid.UUID(raw or "")
    except (ValueError, TypeError):
        raise web.HTTPNotFound() from None


def is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False
