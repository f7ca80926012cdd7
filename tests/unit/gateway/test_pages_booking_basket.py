"""The booking pages' basket (services/gateway/pages/booking/basket.py): read back line by line from the
hidden field, anything odd refused in French; one click changes it with the action booking allows."""

from __future__ import annotations

import json
import uuid

import pytest

from services.gateway.pages.booking.basket import MAX_LINES, basket_json, parse_basket, toggled, without
from services.gateway.web.forms import FormError

CHILD, ACTIVITY = str(uuid.uuid4()), str(uuid.uuid4())
LINE = {"child_id": CHILD, "activity_id": ACTIVITY, "date": "2027-02-04", "action": "reserve"}


def test_a_basket_read_back():
    assert parse_basket("") == [] and parse_basket(None) == []
    timed = {**LINE, "arrival": "08:30:00", "departure": "17:00"}
    assert parse_basket(json.dumps([timed])) == [{**LINE, "arrival": "08:30", "departure": "17:00"}]
    # the last click on a day wins
    assert parse_basket(json.dumps([LINE, {**LINE, "action": "cancel"}])) == [{**LINE, "action": "cancel"}]
    assert parse_basket(basket_json([LINE])) == [LINE]


@pytest.mark.parametrize("raw", ["{pas du json", json.dumps({"a": 1}), json.dumps([{**LINE, "action": "tout"}]),
                                 json.dumps([{**LINE, "date": "2027-02-30"}]), json.dumps([{**LINE, "x": 1}]),
                                 json.dumps([{**LINE, "child_id": "moi"}]), json.dumps([{**LINE, "arrival": "08:00"}]),
                                 json.dumps([{**LINE, "arrival": "8h", "departure": "9h"}]), "x" * 200_001])
def test_odd_baskets_are_refused(raw):
    with pytest.raises(FormError) as info:
        parse_basket(raw)
    assert info.value.title == "Demandes invalides" and "n'a pas pu être lue" in info.value.detail


def test_too_many_lines():
    with pytest.raises(FormError, match=f"plus de {MAX_LINES} demandes"):
        parse_basket(json.dumps([LINE] * (MAX_LINES + 1)))


def test_one_click():
    entry = {"activity_id": ACTIVITY, "date": "2027-02-04", "pending": None}
    assert toggled([], CHILD, entry, ["reserve"]) == ([LINE], None)
    assert toggled([], CHILD, entry, ["cancel"]) == ([{**LINE, "action": "cancel"}], None)
    assert toggled([], CHILD, entry, []) == ([], "Ce jour ne peut être ni réservé ni annulé.")
    assert toggled([LINE], CHILD, {**entry, "pending": "reserve"}, []) == ([], None)
    assert without([LINE], (CHILD, ACTIVITY, "2027-02-04")) == []


def test_each_distinct_id_is_read_once_per_basket_and_judged_on_every_line():
    upper = {**LINE, "child_id": CHILD.upper(), "date": "2027-02-05"}
    # the same id written twice the same way: its canonical form on both lines
    assert [line["child_id"] for line in parse_basket(json.dumps([upper, {**upper, "date": "2027-02-06"}]))] == [
        CHILD, CHILD]
    # an unreadable id refused on a later line too, after lines that read it well elsewhere
    with pytest.raises(FormError):
        parse_basket(json.dumps([LINE, {**LINE, "date": "2027-02-05", "activity_id": "moi"},
                                 {**LINE, "date": "2027-02-06", "activity_id": "moi"}]))
    with pytest.raises(FormError):
        parse_basket(json.dumps([LINE, {**LINE, "date": "2027-02-05", "child_id": ["liste"]}]))
