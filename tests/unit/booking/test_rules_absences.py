"""The rules of a declared absence (issue 19): the range a family may declare, staff's answer (a refusal says
why, an absence is answered once), the structure's waiting period (the first N booked dates stay charged, every
activity of such a date), and how the follow-up tells a booked day of an absence."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.errors import Conflict, Invalid
from services.booking.domain import absences as rules
from services.booking.domain.followup import line_cost, state_label
from services.notify.domain.digest_layout import JUSTIFIED, JustifiedDay, digest_layout

DAY = date(2027, 1, 11)


def test_a_declaration_covers_a_month_at_most_and_in_order():
    rules.check_range(DAY, DAY + timedelta(days=rules.MAX_DAYS - 1))
    with pytest.raises(Invalid, match="date de fin"):
        rules.check_range(DAY, DAY - timedelta(days=1))
    with pytest.raises(Invalid, match="31 jours au plus"):
        rules.check_range(DAY, DAY + timedelta(days=rules.MAX_DAYS))
    with pytest.raises(Invalid, match="Aucun jour réservé"):
        rules.require_some_days([])


def test_staff_answer_once_and_a_refusal_says_why():
    assert rules.answer_status("accept", None) == "accepted"
    assert rules.answer_status("refuse", "Certificat illisible") == "refused"
    with pytest.raises(Invalid, match="motif est obligatoire"):
        rules.answer_status("refuse", "  ")
    with pytest.raises(Invalid):
        rules.answer_status("maybe", None)
    rules.require_pending("pending")
    with pytest.raises(Conflict):
        rules.require_pending("accepted")
    rules.check_waiting_days(0)
    with pytest.raises(Invalid):
        rules.check_waiting_days(rules.MAX_WAITING_DAYS + 1)


def test_the_waiting_period_counts_booked_dates_not_bookings():
    canteen, morning, next_day, later = (uuid.uuid4() for _ in range(4))
    booked = [(canteen, DAY), (morning, DAY), (next_day, DAY + timedelta(days=1)), (later, DAY + timedelta(days=3))]
    assert rules.charged_bookings(booked, 1) == {canteen: True, morning: True, next_day: False, later: False}
    assert rules.charged_bookings(booked, 0) == dict.fromkeys((canteen, morning, next_day, later), False)


@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=12), st.integers(0, 10))
def test_exactly_the_first_waiting_dates_stay_charged(offsets, waiting):
    booked = [(uuid.uuid4(), DAY + timedelta(days=o)) for o in offsets]
    charged = rules.charged_bookings(booked, waiting)
    dates = sorted({d for _, d in booked})
    assert {d for b, d in booked if charged[b]} == set(dates[:waiting])


def test_the_follow_up_tells_the_absence_and_its_cost():
    assert state_label("accepted", True, None, "declared") == "Acceptée, absence déclarée, en attente de réponse"
    assert state_label("accepted", True, None, "justified") == "Acceptée, absence justifiée"
    assert state_label("accepted", True, None, "justified_charged").endswith("(délai de carence : facturée)")
    assert state_label("accepted", True, None, None) == "Acceptée"
    assert line_cost("accepted", 280, 300, "justified") == 0
    assert line_cost("accepted", 280, 300, "justified_charged") == 280


def test_the_digest_lists_the_justified_days_even_without_movements():
    layout = digest_layout("Bonjour", "Mairie de CarteVille", [], [
        JustifiedDay("DURAND Léo", "Repas scolaire", DAY + timedelta(days=1), False),
        JustifiedDay("DURAND Léo", "Repas scolaire", DAY, True)])
    assert layout is not None and layout.total == 0 and layout.justified == 2
    [section] = layout.sections
    assert section["title"] == JUSTIFIED
    assert section["activities"][0]["children"][0]["dates"] == ["lun. 11/01 (facturé : délai de carence)",
                                                                "mar. 12/01"]
    assert digest_layout("Bonjour", "Mairie", [], []) is None
