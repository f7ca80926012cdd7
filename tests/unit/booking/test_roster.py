"""The roster's rules in booking: which activities serve a meal, and the three parts of a day's roster."""

from __future__ import annotations

import uuid
from datetime import time

import pytest

from services.booking.domain.roster import RosterLine, group_roster, serves_meal


@pytest.mark.parametrize(("name", "meal"), [
    ("Restauration scolaire", True), ("Cantine", True), ("ALSH Journée Vacances avec repas", True),
    ("Déjeuner du mercredi", True), ("REPAS SCOLAIRE", True), ("APS Matin", False), ("ALSH Mercredi", False),
    ("ALSH Journée sans repas", False), ("Restaurant d'enfants", True), ("Atelier répétition", False),
])
def test_an_activity_serves_a_meal_when_its_name_says_so(name, meal):
    assert serves_meal(name) is meal


def _line(first: str, last: str, status: str, seq: int) -> RosterLine:
    return RosterLine(uuid.uuid4(), first, last, status, time(11, 30), time(13, 30), seq)


def test_a_roster_lists_the_expected_by_name_the_waiting_list_in_order_and_the_requests():
    lines = [_line("Zoé", "ARNAUD", "accepted", 5), _line("Léo", "Élan", "accepted", 9),
             _line("Marina", "BOUCHER", "waitlisted", 12), _line("Adam", "ABEL", "waitlisted", 7),
             _line("Inès", "COLIN", "pending", 3), _line("Paul", "DUBOIS", "refused", 1),
             _line("Noé", "FAURE", "cancelled", 2)]
    groups = group_roster(lines)
    assert [g.key for g in groups] == ["attendus", "attente", "demandes"]
    assert [g.title for g in groups] == ["Enfants attendus", "Liste d'attente", "Demandes en attente de décision"]
    assert [line.first_name for line in groups[0].lines] == ["Zoé", "Léo"]  # ARNAUD before Élan (accents folded)
    assert [line.first_name for line in groups[1].lines] == ["Adam", "Marina"]  # the first asked first
    assert [line.first_name for line in groups[2].lines] == ["Inès"]
    assert all(g.lines == [] for g in group_roster([]))
