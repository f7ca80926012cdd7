from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.booking.domain.states import (
    LABELS,
    SYMBOLS,
    BookingStatus,
    DayFacts,
    DayState,
    can_cancel,
    can_reserve,
    day_actions,
    day_label,
    day_state,
    remaining_places,
    summary,
)

OPEN = DayFacts(
    is_open=True,
    enrolled=True,
    capacity=20,
    taken=5,
    waitlist_allowed=True,
    status=None,
    before_booking_deadline=True,
    before_cancel_deadline=True,
)
REQUEST_STATUSES = [BookingStatus.WAITLISTED, BookingStatus.REFUSED, BookingStatus.PENDING]


def test_symbols_and_labels() -> None:
    assert set(SYMBOLS) == set(DayState) == set(LABELS)
    assert SYMBOLS == {
        DayState.CLOSED: "",
        DayState.FULL: "✖",
        DayState.AVAILABLE: "●",
        DayState.WAITLIST_ONLY: "⏳",
        DayState.BOOKED: "📅",
        DayState.REQUESTED: "⚠️",
        DayState.LOCKED: "🚫",
        DayState.OTHER_HOUSEHOLD: "⇄",
    }
    assert LABELS[DayState.FULL] == "Activité complète"
    assert LABELS[DayState.AVAILABLE] == "Activité disponible"
    assert LABELS[DayState.WAITLIST_ONLY] == "Activité disponible uniquement en liste d'attente"
    assert LABELS[DayState.BOOKED] == "Activité réservée, modifiable"
    assert LABELS[DayState.LOCKED] == "Activité réservée, non modifiable"
    assert all(LABELS.values())


def test_enum_values() -> None:
    assert [s.value for s in BookingStatus] == ["accepted", "waitlisted", "refused", "pending"]
    assert DayState("waitlist_only") is DayState.WAITLIST_ONLY
    assert BookingStatus.ACCEPTED == "accepted"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, DayState.AVAILABLE),
        ({"capacity": None, "taken": 500}, DayState.AVAILABLE),
        ({"taken": 19}, DayState.AVAILABLE),
        ({"is_open": False}, DayState.CLOSED),
        ({"enrolled": False}, DayState.CLOSED),
        ({"before_booking_deadline": False}, DayState.CLOSED),
        ({"before_booking_deadline": False, "before_cancel_deadline": False}, DayState.CLOSED),
        ({"taken": 20, "waitlist_allowed": False}, DayState.FULL),
        ({"taken": 25, "waitlist_allowed": False}, DayState.FULL),
        ({"capacity": 0, "taken": 0, "waitlist_allowed": False}, DayState.FULL),
        ({"taken": 20}, DayState.WAITLIST_ONLY),
        ({"capacity": 0, "taken": 0}, DayState.WAITLIST_ONLY),
        ({"status": BookingStatus.ACCEPTED}, DayState.BOOKED),
        ({"status": BookingStatus.ACCEPTED, "before_booking_deadline": False}, DayState.BOOKED),
        ({"status": BookingStatus.ACCEPTED, "before_cancel_deadline": False}, DayState.LOCKED),
        ({"status": BookingStatus.ACCEPTED, "taken": 20, "waitlist_allowed": False}, DayState.BOOKED),
        *[({"status": s}, DayState.REQUESTED) for s in REQUEST_STATUSES],
        *[({"status": s, "before_cancel_deadline": False}, DayState.LOCKED) for s in REQUEST_STATUSES],
        # an existing booking stays visible even when the session is gone or the child left
        ({"status": BookingStatus.ACCEPTED, "is_open": False}, DayState.BOOKED),
        ({"status": BookingStatus.WAITLISTED, "enrolled": False}, DayState.REQUESTED),
    ],
)
def test_day_state(changes: dict[str, object], expected: DayState) -> None:
    f = replace(OPEN, **changes)
    assert day_state(f) is expected
    assert can_reserve(f) is (expected in (DayState.AVAILABLE, DayState.WAITLIST_ONLY))
    assert can_cancel(f) is (expected in (DayState.BOOKED, DayState.REQUESTED))


def test_plain_string_status_is_accepted() -> None:
    assert day_state(replace(OPEN, status="accepted")) is DayState.BOOKED  # type: ignore[arg-type]


def test_day_label_distinguishes_the_two_locked_lines() -> None:
    locked = replace(OPEN, before_cancel_deadline=False)
    assert day_label(replace(locked, status=BookingStatus.ACCEPTED)) == "Activité réservée, non modifiable"
    assert day_label(replace(locked, status=BookingStatus.REFUSED)) == (
        "Activité en liste d'attente ou refusée, annulable"
    )
    assert day_label(OPEN) == "Activité disponible"


def test_remaining_places() -> None:
    assert remaining_places(OPEN) == 15
    assert remaining_places(replace(OPEN, capacity=None)) is None
    assert remaining_places(replace(OPEN, taken=20)) == 0
    assert remaining_places(replace(OPEN, taken=42)) == 0


facts = st.builds(
    DayFacts,
    is_open=st.booleans(),
    enrolled=st.booleans(),
    capacity=st.none() | st.integers(0, 200),
    taken=st.integers(0, 300),
    waitlist_allowed=st.booleans(),
    status=st.none() | st.sampled_from(BookingStatus),
    before_booking_deadline=st.booleans(),
    before_cancel_deadline=st.booleans(),
)


@given(facts)
def test_state_properties(f: DayFacts) -> None:
    left = remaining_places(f)
    assert left is None or left >= 0
    assert (left is None) == (f.capacity is None)
    state = day_state(f)
    assert not (can_reserve(f) and can_cancel(f))
    if f.status is None:
        assert state not in (DayState.BOOKED, DayState.REQUESTED, DayState.LOCKED)
        assert can_reserve(f) == (
            f.is_open and f.enrolled and f.before_booking_deadline and (left != 0 or f.waitlist_allowed)
        )
    else:
        assert state in (DayState.BOOKED, DayState.REQUESTED, DayState.LOCKED)
        assert can_cancel(f) == f.before_cancel_deadline
    assert isinstance(SYMBOLS[state], str) and LABELS[state]


@given(facts)
def test_summary_is_the_rules_applied_once(f: DayFacts) -> None:
    """What the calendar writes of a day (state, symbol, legend line, actions, places left) is what each rule
    says of the same facts, however often the facts come back."""
    shown = summary(f)
    assert (shown.state, shown.symbol, shown.label, list(shown.actions), shown.remaining) == (
        day_state(f), SYMBOLS[day_state(f)], day_label(f), day_actions(f), remaining_places(f))
    assert summary(replace(f)) == shown
