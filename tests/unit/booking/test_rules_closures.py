"""The rules of a mass closure: the ranges staff may close, re-opening before the first day only and once,
the reason the cancelled bookings carry, and one notice per family listing its children's days in order."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.errors import Conflict, Invalid
from services.booking.domain import closures as rules
from services.notify.service.deliveries import closure_notice_params
from services.notify.templates import render

DAY = date(2027, 3, 8)


def cancelled(family, first, day, activity="RESTAURATION SCOLAIRE"):
    return rules.Cancelled(uuid.uuid4(), family, first, "DURAND", activity, day)


def test_a_closure_covers_one_day_or_a_range_of_at_most_max_days():
    rules.check_range(DAY, DAY)
    rules.check_range(DAY, DAY + timedelta(days=rules.MAX_DAYS - 1))
    with pytest.raises(Invalid, match="date de fin"):
        rules.check_range(DAY, DAY - timedelta(days=1))
    with pytest.raises(Invalid, match="62 jours au plus"):
        rules.check_range(DAY, DAY + timedelta(days=rules.MAX_DAYS))


@given(st.integers(min_value=-30, max_value=30))
def test_reopening_is_possible_before_the_first_day_only(offset):
    today = DAY + timedelta(days=offset)
    if today < DAY:
        rules.require_reopenable(DAY, False, today)
    else:
        with pytest.raises(Conflict, match="commencé"):
            rules.require_reopenable(DAY, False, today)


def test_a_closure_is_reopened_once():
    with pytest.raises(Conflict, match="déjà été levée"):
        rules.require_reopenable(DAY, True, DAY - timedelta(days=3))


def test_the_cancelled_bookings_say_why():
    assert rules.reason("Grève") == "Fermeture : Grève"
    assert rules.reason("") == "Fermeture"


def test_one_notice_per_family_with_its_childrens_days_in_order():
    a, b = uuid.UUID(int=1), uuid.UUID(int=2)
    found = rules.notices(uuid.uuid4(), uuid.uuid4(), "Mairie de CarteVille", "Grève", [
        cancelled(a, "Zoé", DAY + timedelta(days=1)), cancelled(b, "Tom", DAY), cancelled(a, "Léo", DAY + timedelta(days=1)),
        cancelled(a, "Zoé", DAY, "APS MATIN")])
    assert [n.family_id for n in found] == [a, b]
    assert [(d.child_first_name, d.date) for d in found[0].days] == [
        ("Zoé", DAY), ("Léo", DAY + timedelta(days=1)), ("Zoé", DAY + timedelta(days=1))]
    assert rules.notices(uuid.uuid4(), uuid.uuid4(), "", "Grève", []) == []


def test_the_family_mail_lists_every_day():
    [notice] = rules.notices(uuid.uuid4(), uuid.uuid4(), "Mairie de CarteVille", "Grève", [
        cancelled(uuid.UUID(int=1), "Léa", DAY), cancelled(uuid.UUID(int=1), "Léa", DAY + timedelta(days=1))])
    mail = render("closure_notice", {"greeting": "Bonjour", **closure_notice_params(
        notice.structure_name, notice.label, notice.days, "https://portail.example/")})
    assert mail.subject == "Portail Famille : fermeture (Grève), réservations annulées"
    assert "- DURAND Léa : RESTAURATION SCOLAIRE, lundi 8 mars 2027" in mail.text
    assert "- DURAND Léa : RESTAURATION SCOLAIRE, mardi 9 mars 2027" in mail.text
    assert mail.html.count("<li>") == 2
