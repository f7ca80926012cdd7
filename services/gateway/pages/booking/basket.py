"""The basket: the days clicked and not recorded yet, carried by every form of the booking pages in a hidden
`panier` field (a JSON list of lines), read back here line by line, and changed one click at a time."""

from __future__ import annotations

import json
import uuid
from datetime import date

from services.gateway.web.forms import TIME_RE, FormError

MAX_LINES = 400
MAX_BASKET_CHARS = 200_000
FIELDS = {"child_id", "activity_id", "date", "action", "arrival", "departure"}
TITLE = "Demandes invalides"
UNREADABLE = "La liste de vos demandes en cours n'a pas pu être lue. Revenez au calendrier et recommencez."

Line = dict
Key = tuple[str, str, str]


def _uuid_text(value: object, known: dict[str, str | None]) -> str | None:
    """The id in its canonical form, or None; `known`: the ids of the same basket already read (a basket names
    the same two children and few activities on each of its lines)."""
    if not isinstance(value, str):
        return None
    if value not in known:
        try:
            known[value] = str(uuid.UUID(value))
        except ValueError:
            known[value] = None
    return known[value]


def _line(item: object, known: dict[str, str | None]) -> Line:
    # every posted line is read here (40 per recap and confirmation at the rush): each distinct id parsed once,
    # the error made only when needed
    if not isinstance(item, dict) or not set(item) <= FIELDS:
        raise FormError(UNREADABLE, title=TITLE)
    child_id, activity_id = _uuid_text(item.get("child_id"), known), _uuid_text(item.get("activity_id"), known)
    if not (child_id and activity_id and item.get("action") in ("reserve", "cancel")
            and isinstance(item.get("date"), str)):
        raise FormError(UNREADABLE, title=TITLE)
    try:
        date.fromisoformat(item["date"])
    except ValueError:
        raise FormError(UNREADABLE, title=TITLE) from None
    arrival, departure = item.get("arrival"), item.get("departure")
    if (arrival is None) != (departure is None):
        raise FormError(UNREADABLE, title=TITLE)
    if arrival is not None and not (isinstance(arrival, str) and isinstance(departure, str)
                                    and TIME_RE.match(arrival[:5]) and TIME_RE.match(departure[:5])):
        raise FormError(UNREADABLE, title=TITLE)
    line = {"child_id": child_id, "activity_id": activity_id, "date": item["date"], "action": item["action"]}
    if arrival is not None:
        line["arrival"], line["departure"] = arrival[:5], departure[:5]
    return line


def parse_basket(raw: str | None) -> list[Line]:
    """The posted basket, checked line by line; anything odd is a FormError "Demandes invalides"."""
    if not raw:
        return []
    if len(raw) > MAX_BASKET_CHARS:
        raise FormError(UNREADABLE, title=TITLE)
    try:
        data = json.loads(raw)
    except ValueError:
        raise FormError(UNREADABLE, title=TITLE) from None
    if not isinstance(data, list):
        raise FormError(UNREADABLE, title=TITLE)
    if len(data) > MAX_LINES:
        raise FormError(f"Vous ne pouvez pas valider plus de {MAX_LINES} demandes à la fois.", title=TITLE)
    known: dict[str, str | None] = {}
    lines = [_line(item, known) for item in data]
    # the last click on a day wins
    return list({key(line): line for line in lines}.values())


def checked(lines: list) -> list[Line]:
    """A basket booking answered, checked as a posted one."""
    return parse_basket(json.dumps(lines))


def key(line: Line) -> Key:
    return (line["child_id"], line["activity_id"], line["date"])


def basket_json(lines: list[Line]) -> str:
    return json.dumps(lines, ensure_ascii=False, separators=(",", ":"))


def without(lines: list[Line], k: Key) -> list[Line]:
    return [line for line in lines if key(line) != k]


def toggled(basket: list[Line], child_id: str, entry: dict, actions: list[str]) -> tuple[list[Line], str | None]:
    """One click on a day of an activity (`entry`, as booking answers it, with the `actions` it allows): a
    pending click is taken back, otherwise the allowed action is asked for. Returns the new basket and a
    message when nothing could be done."""
    k = (child_id, entry["activity_id"], entry["date"])
    if entry.get("pending"):
        return without(basket, k), None
    if not actions:
        return basket, "Ce jour ne peut être ni réservé ni annulé."
    return basket + [{"child_id": child_id, "activity_id": entry["activity_id"], "date": entry["date"],
                      "action": actions[0]}], None
