"""The kit's HTTP guard and French validation messages, without a server: NUL bytes and lone surrogates
refused, JSON depth and size bounded (no RecursionError), pydantic's English never shown."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Literal

import pytest
from aiohttp import web
from pydantic import BaseModel, EmailStr, Field, ValidationError, model_validator

from kit.http import (
    CORRELATION_RE,
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    InputRefused,
    check_text,
    french_errors,
    french_message,
    parse_json,
)

ENGLISH = re.compile(r"should|required|Input|valid (string|integer|date|time)|must|value is not", re.IGNORECASE)


class Sample(BaseModel):
    arrival: dt.time
    day: dt.date
    child_id: uuid.UUID
    name: str = Field(max_length=3)
    places: int = Field(gt=0)
    action: Literal["reserve", "cancel"]
    lines: list[int] = Field(max_length=1)
    email: EmailStr
    label: str
    count: int
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    missing: str

    @model_validator(mode="after")
    def _rule(self):
        raise ValueError("la date de fin doit être après la date de début")


def _errors(data: dict) -> list[dict]:
    try:
        Sample.model_validate_json(json.dumps(data))
    except ValidationError as exc:
        return exc.errors(include_url=False)
    raise AssertionError("valid")


def test_every_message_is_a_french_sentence_naming_the_field():
    errors = _errors({"arrival": "25:99", "day": "2026-09-07T10:00:00", "child_id": "x", "name": "abcd",
                      "places": 0, "action": "book", "lines": [1, 2], "email": "nope", "label": 3,
                      "count": "beaucoup", "month": "202609"})
    messages = {e["type"]: french_message(e) for e in errors}
    assert messages == {
        "time_parsing": "Le champ « arrival » doit être une heure (HH:MM).",
        "date_from_datetime_inexact": "Le champ « day » doit être une date sans heure (AAAA-MM-JJ).",
        "uuid_parsing": "Le champ « child_id » doit être un identifiant (UUID).",
        "string_too_long": "Le champ « name » est trop long (3 caractères au plus).",
        "greater_than": "Le champ « places » doit être supérieur à 0.",
        "literal_error": "Le champ « action » doit valoir : 'reserve' ou 'cancel'.",
        "too_long": "Le champ « lines » contient trop d'éléments (1 au plus).",
        "value_error": "Le champ « email » doit être une adresse électronique valable.",
        "string_type": "Le champ « label » doit être un texte.",
        "int_parsing": "Le champ « count » doit être un nombre entier.",
        "string_pattern_mismatch": "Le champ « month » n'a pas le format attendu.",
        "missing": "Le champ « missing » est obligatoire.",
    }


def test_a_rule_on_the_whole_content_keeps_its_own_french_words():
    valid = {"arrival": "10:00", "day": "2026-09-07", "child_id": str(uuid.uuid4()), "name": "a", "places": 1,
             "action": "reserve", "lines": [], "email": "a@example.fr", "label": "x", "count": 1,
             "month": "2026-09", "missing": "x"}
    (error,) = _errors(valid)
    assert french_message(error) == "la date de fin doit être après la date de début"


def test_unknown_types_and_nested_fields_stay_french():
    assert french_message({"type": "some_future_type", "loc": ("basket", 0, "date"), "msg": "Input should be x"}) \
        == "Le champ « basket.0.date » n'est pas acceptable."
    assert french_message({"type": "model_type", "loc": (), "msg": "Input should be an object"}) \
        == "Le contenu envoyé doit être un objet."
    for e in _errors({}):
        assert not ENGLISH.search(french_message(e)), e


def test_french_errors_keep_the_field():
    try:
        Sample.model_validate({"count": "x"})
    except ValidationError as exc:
        listed = french_errors(exc)
    assert {"champ": "count", "message": "Le champ « count » doit être un nombre entier."} in listed


@pytest.mark.parametrize("text", ["a\x00b", "\x00", "x\ud800", "\udfff"])
def test_text_postgresql_cannot_store_is_refused(text):
    with pytest.raises(InputRefused):
        check_text(text)


def test_ordinary_text_passes():
    assert check_text("Crèche « Les Petits Loups » — 3 €") == "Crèche « Les Petits Loups » — 3 €"


@pytest.mark.parametrize("raw", [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1),
    b'{"a": "x\\u0000y"}',
    b'{"a\\u0000": 1}',
    b'[{"deep": ["\\ud800"]}]',
    b"{not json",
    b"\xff\xfe",
    # the forms a NUL or a lone surrogate can take past the fast path (no string walked when none is there)
    '{"a": "x\\u0000y"}'.encode("utf-16"),  # UTF-16, BOM
    '{"a": "x\\u0000y"}'.encode("utf-16-le"),  # UTF-16, no BOM
    '["\\udfff"]'.encode("utf-32"),
    b'["\xed\xa0\x80"]',  # a surrogate encoded in UTF-8 (json.loads decodes bytes with surrogatepass)
    b'{"\xed\xbf\xbf": 1}',
    b'{"a": [' * 20 + b'{"b": {"c": [[[[[[[[[[[[[1]]]]]]]]]]]]]}}' + b"]}" * 20,  # deep, no escape at all
])
def test_bad_json_is_refused_in_french(raw):
    with pytest.raises(InputRefused) as caught:
        parse_json(raw)
    assert caught.value.status == 400
    assert "JSON" in caught.value.text or "caractère" in caught.value.text


def test_ordinary_json_passes_with_or_without_escapes():
    basket = [{"child_id": str(uuid.uuid4()), "date": "2027-09-06", "action": "reserve", "note": "Léa é"}] * 40
    assert parse_json(json.dumps(basket, ensure_ascii=False).encode()) == basket
    assert parse_json(json.dumps(basket).encode()) == basket  # \u00e9 escapes: walked, and fine
    assert parse_json(json.dumps(basket)) == basket  # a str body
    assert parse_json(b'{"a": "\\\\u0000"}') == {"a": "\\u0000"}  # an escaped backslash, not a NUL


def test_json_at_the_depth_limit_and_size_limit():
    assert isinstance(parse_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH), list)
    with pytest.raises(web.HTTPRequestEntityTooLarge) as caught:
        parse_json(b" " * (MAX_JSON_BYTES + 1))
    assert "Mo" in caught.value.text


@pytest.mark.parametrize(("sent", "kept"), [("abc-123", True), ("7f42b48c42d34074b858014e39b12a1e", True),
                                            ("c" * 64, True), ("c" * 65, False), ("é", False), ("a b", False),
                                            ("a\nb", False), ("", False)])
def test_only_short_token_correlation_ids_are_kept(sent, kept):
    assert bool(CORRELATION_RE.fullmatch(sent)) is kept
