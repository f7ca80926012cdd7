"""The rules of changing an existing activity (services/booking/domain/changes.py) and of recognising a class
list among the structure's children (services/booking/domain/enrolments.py). Fixed dates only."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.booking.domain.changes import (
    ActivitySettings,
    DayLoad,
    Upcoming,
    capacity_plan,
    settings_effects,
)
from services.booking.domain.deadlines import DeadlineRule
from services.booking.domain.enrolments import MAX_LIST_LINES, Pupil, match_class_list, read_class_list

MONDAY = date(2026, 9, 7)


def load(offset: int, capacity: int | None, accepted: int, waitlisted: int = 0) -> DayLoad:
    return DayLoad(uuid.uuid4(), MONDAY + timedelta(days=offset), capacity, accepted, waitlisted)


# -- places over a range --------------------------------------------------------------------------------------
def test_lowering_below_the_accepted_bookings_keeps_them_and_says_so():
    days = [load(0, 20, 18), load(1, 20, 16), load(2, 20, 15), load(3, 20, 10), load(4, 20, 15)]
    plan = capacity_plan(days, 15)
    assert [c.load.day.weekday() for c in plan.over] == [0, 1]
    assert len(plan.changed) == 5 and plan.promoted == 0
    said = plan.sentences()
    assert said[0] == "5 jours changent de nombre de places."
    assert said[1] == ("2 jours ont déjà plus de réservations acceptées que la nouvelle capacité : elles sont "
                       "conservées, plus aucune nouvelle réservation ne sera acceptée ces jours-là.")
    assert "2 jours sont complets avec la nouvelle capacité" in said[2]  # Wednesday and Friday: exactly 15


def test_one_day_over_is_said_in_the_singular():
    said = capacity_plan([load(0, 10, 9)], 8).sentences()
    assert said[1].startswith("1 jour a déjà plus de réservations") and said[1].endswith("ce jour-là.")


def test_more_places_promote_the_waiting_list_first_requested_first():
    plan = capacity_plan([load(0, 10, 10, waitlisted=5), load(1, 10, 8, waitlisted=1), load(2, None, 3)], 13)
    assert [c.promoted for c in plan.changes] == [3, 1, 0]
    assert plan.promoted == 4
    assert "4 demandes en liste d'attente obtiennent une place aussitôt." in plan.sentences()


def test_unlimited_places_and_unchanged_days():
    unchanged = capacity_plan([load(0, 12, 3), load(1, 12, 12)], 12)
    assert not unchanged.changed and unchanged.promoted == 0
    assert unchanged.sentences() == ["Les 2 jours de la période ont déjà ce nombre de places : rien ne change."]
    assert capacity_plan([], 4).sentences() == ["Aucun jour ouvert sur cette période : rien ne change."]
    assert not capacity_plan([load(0, 5, 7)], None).over  # unlimited: never over


def test_only_the_chosen_weekdays_change():
    week = [load(i, 10, 2) for i in range(5)]
    plan = capacity_plan(week, 4, frozenset({2}))
    assert [c.load.day.weekday() for c in plan.changes] == [2]
    with pytest.raises(ValueError):
        capacity_plan(week, -1)


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 10)), max_size=20),
       st.integers(0, 40))
def test_no_accepted_booking_is_ever_removed_and_no_day_is_overbooked_by_the_change(days, capacity):
    loads = [load(i, cap, min(acc, cap), wait) for i, (cap, acc, wait) in enumerate(days)]
    plan = capacity_plan(loads, capacity)
    for c in plan.changes:
        after = c.load.accepted + c.promoted
        assert after >= c.load.accepted
        assert c.over == (c.load.accepted > capacity)
        assert after <= max(capacity, c.load.accepted)
        assert c.promoted <= c.load.waitlisted


# -- settings ---------------------------------------------------------------------------------------------------
RULE = DeadlineRule(2, True, time(10, 0))
BEFORE = ActivitySettings("Restauration scolaire", time(11, 30), time(13, 30), 80, True, False, False, False,
                          RULE, RULE, frozenset())
UPCOMING = Upcoming(days=30, booked_days=12, waitlisted=4, pending=2)


def test_no_change_says_nothing():
    assert settings_effects(BEFORE, BEFORE, UPCOMING) == []


def test_each_change_says_what_it_does_to_existing_bookings():
    after = replace(BEFORE, start_time=time(11, 45), default_capacity=60, waitlist_allowed=False,
                    needs_approval=True, enrolment_required=True, booking_deadline=DeadlineRule(3, True, time(9, 0)),
                    incompatible_with=frozenset({uuid.UUID(int=9)}))
    said = settings_effects(BEFORE, after, UPCOMING)
    assert said[0] == ("Les 30 jours ouverts à venir passent à 11:45 – 13:30 ; les réservations de 12 jours "
                       "déjà réservés sont conservées.")
    assert any("jours déjà ouverts gardent le leur" in s for s in said)
    assert any("4 demande(s) déjà en liste d'attente y restent" in s for s in said)
    assert any("attendront votre décision" in s for s in said)
    assert any("Seuls les enfants inscrits pourront réserver" in s for s in said)
    assert any("nouveaux délais" in s for s in said)
    assert any("incompatibilités" in s for s in said)
    back = settings_effects(after, BEFORE, UPCOMING)
    assert any("2 demande(s) en attente de décision restent à traiter" in s for s in back)
    assert any("inscrits ou non" in s for s in back)


# -- class lists ------------------------------------------------------------------------------------------------
LEA = Pupil(uuid.UUID(int=1), "Léa", "Dupont", date(2018, 5, 3))
LEA_TOO = Pupil(uuid.UUID(int=2), "Léa", "DUPONT", date(2019, 1, 9))
JP = Pupil(uuid.UUID(int=3), "Jean-Pierre", "N'Diaye", date(2018, 2, 1))
NOE = Pupil(uuid.UUID(int=4), "Noé", "Martin", date(2018, 7, 14))
PUPILS = [LEA, LEA_TOO, JP, NOE]


def test_names_in_any_order_case_accents_and_hyphens():
    lines = read_class_list("MARTIN Noe\n\n  jean pierre n diaye \nNoé Martin\n")
    assert [m.found for m in match_class_list(lines, PUPILS)] == [(NOE,), (JP,), (NOE,)]
    assert [line.number for line in lines] == [1, 3, 4]


def test_a_csv_with_header_and_birth_dates_tells_homonyms_apart():
    text = "Nom;Prénom;Date de naissance\nDupont;Léa;09/01/2019\nDUPONT,Léa\nDurand\tZoé\nMartin;Noé;2018-07-14\n"
    matches = match_class_list(read_class_list(text), PUPILS)
    assert [m.line.number for m in matches] == [2, 3, 4, 5]
    assert matches[0].recognised == LEA_TOO
    assert matches[1].found == (LEA, LEA_TOO) and matches[1].recognised is None  # homonyms: staff choose
    assert matches[2].found == ()
    assert matches[3].recognised == NOE


def test_a_wrong_birth_date_recognises_nobody_and_a_list_too_long_is_refused():
    assert match_class_list(read_class_list("Martin;Noé;01/01/2017"), PUPILS)[0].found == ()
    with pytest.raises(ValueError, match="découpez-la"):
        read_class_list("\n".join(f"Enfant{i} Nom" for i in range(MAX_LIST_LINES + 1)))
