"""Every message routed to the public exchange (portail.events), which other municipal systems may bind
to, is scanned for fields that must never leave the portal: children's names, birth dates, free-text
reasons or comments, e-mail addresses, tokens and secrets, anything about health. A new field of that
kind on a public contract makes this test fail: move it to a private event on portail.internal."""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from contracts.envelope import PUBLIC
from contracts.registry import MESSAGES
from kit import bus

PUBLIC_MESSAGES = [m for m in MESSAGES if m.EXCHANGE == PUBLIC]

# A field whose name matches one of these is refused on a public contract.
FORBIDDEN = {
    "a person's name": re.compile(r"(^|_)(first|last|given|family|sur|birth|maiden)_?name$|^(child|guardian)_name$"),
    "a birth date": re.compile(r"birth"),
    "free text about someone": re.compile(r"reason|comment|remark|note|message|free_?text|motif|observation"),
    "an e-mail address or contact detail": re.compile(r"e?mail|phone|address|greeting"),
    "a credential": re.compile(r"token|password|secret|credential|identifiant|login"),
    "health data": re.compile(r"health|sanit|medic|allerg|vaccin|treatment|diagnos|disab|handicap|pai$|doctor"),
}

# Known public fields that look like the patterns above but are not personal data, as
# "<routing key>:<field path>" (none today).
ALLOWED: set[str] = set()


def fields(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Every field path of a model, nested models and lists of them included."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        yield path
        for inner in _models_in(info.annotation):
            yield from fields(inner, prefix=f"{path}.")


def _models_in(annotation) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def leaks(message) -> list[str]:
    found = []
    for path in fields(message):
        if f"{message.routing_key()}:{path}" in ALLOWED:
            continue
        leaf = path.rsplit(".", 1)[-1].lower()
        found += [f"{path} ({what})" for what, pattern in FORBIDDEN.items() if pattern.search(leaf)]
    return found


def test_the_public_messages_are_those_on_the_public_exchange():
    assert PUBLIC_MESSAGES, "no public message found"
    for message in MESSAGES:
        assert (message in PUBLIC_MESSAGES) == (bus.exchange_name(message) == bus.EVENTS_EXCHANGE)


@pytest.mark.parametrize("message", PUBLIC_MESSAGES, ids=lambda m: m.routing_key())
def test_no_personal_or_health_field_on_the_public_exchange(message):
    assert leaks(message) == [], (
        f"{message.routing_key()} is public (portail.events) but carries {leaks(message)}: "
        "put it in a private event on portail.internal (EXCHANGE = INTERNAL)")


@pytest.mark.parametrize("message", PUBLIC_MESSAGES, ids=lambda m: m.routing_key())
def test_public_examples_carry_no_personal_detail(message):
    """The examples published in contracts/asyncapi.json show no name, date of birth or address."""
    extra = message.model_config.get("json_schema_extra") or {}
    text = repr(extra.get("examples", []) if isinstance(extra, dict) else [])
    for word in ("Léa", "Lina", "DUPONT", "Martin", "@", "2018-04-12", "vaccin", "illisible"):
        assert word not in text, f"{message.routing_key()}'s example shows {word!r}"


def test_the_scan_catches_what_it_is_for():
    """The detector itself: a public contract with such fields is reported."""
    import datetime as dt
    import uuid

    from contracts.envelope import Message

    class Child(BaseModel):
        child_id: uuid.UUID
        first_name: str
        birth_date: dt.date

    class Leaky(Message):
        TYPE = "test.leaky"
        VERSION = 1
        family_id: uuid.UUID
        children: list[Child]
        reason: str | None = None
        emails: list[str] | None = None
        reset_token: str = ""
        allergies: str = ""

    found = " ".join(leaks(Leaky))
    for path in ("children.first_name", "children.birth_date", "reason", "emails", "reset_token", "allergies"):
        assert path in found
    assert "family_id" not in found and "children.child_id" not in found


def test_private_versions_stay_internal():
    """What moved off the public exchange stays off it."""
    from contracts.auth import AuthFamilyChangedV1, AuthFamilyChangedV2, AuthFamilyContactsV1
    from contracts.dossier import DossierSheetReviewedV1, DossierSheetReviewedV2

    for private in (AuthFamilyChangedV1, AuthFamilyContactsV1, DossierSheetReviewedV1):
        assert bus.exchange_name(private) == bus.INTERNAL_EXCHANGE
    for public in (AuthFamilyChangedV2, DossierSheetReviewedV2):
        assert bus.exchange_name(public) == bus.EVENTS_EXCHANGE
