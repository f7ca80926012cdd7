from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.booking.domain.quick import (
    Cell,
    actionable,
    effectively_booked,
    quick_toggle,
    same_weekday,
    toggle_day,
    week_of,
)
from services.booking.domain.states import DayState

A, W, B, R, C, F, L = (
    DayState.AVAILABLE,
    DayState.WAITLIST_ONLY,
    DayState.BOOKED,
    DayState.REQUESTED,
    DayState.CLOSED,
    DayState.FULL,
    DayState.LOCKED,
)
MON = date(2027, 3, 15)


def week(*states: DayState, pending: tuple = ()) -> list[Cell]:
    pend = list(pending) + [None] * (len(states) - len(pending))
    return [Cell(MON + timedelta(days=i), s, p) for i, (s, p) in enumerate(zip(states, pend, strict=True))]


def d(i: int) -> date:
    return MON + timedelta(days=i)


def test_effectively_booked() -> None:
    assert effectively_booked(Cell(MON, B))
    assert effectively_booked(Cell(MON, R))
    assert not effectively_booked(Cell(MON, B, "cancel"))
    assert effectively_booked(Cell(MON, A, "reserve"))
    assert not effectively_booked(Cell(MON, A))
    assert not effectively_booked(Cell(MON, L))
    assert not effectively_booked(Cell(MON, C))


def test_actionable() -> None:
    assert [actionable(Cell(MON, s)) for s in (A, W, B, R, C, F, L)] == [True] * 4 + [False] * 3


def test_first_bookable_day_not_booked_books_everything() -> None:
    # Monday closed (not actionable), Tuesday available → every actionable day reserved
    cells = week(C, A, W, B, F, L, R)
    assert quick_toggle(cells) == {d(1): "reserve", d(2): "reserve", d(3): None, d(6): None}


def test_pending_cancel_is_dropped_when_booking_everything() -> None:
    cells = week(A, B, R, pending=(None, "cancel"))
    assert quick_toggle(cells) == {d(0): "reserve", d(1): None, d(2): None}


def test_first_bookable_day_booked_cancels_everything() -> None:
    cells = week(L, B, A, W, R, pending=(None, None, "reserve"))
    assert quick_toggle(cells) == {d(1): "cancel", d(2): None, d(3): None, d(4): "cancel"}


def test_first_day_with_pending_reserve_counts_as_booked() -> None:
    cells = week(A, A, B, pending=("reserve",))
    assert quick_toggle(cells) == {d(0): None, d(1): None, d(2): "cancel"}


def test_first_day_with_pending_cancel_counts_as_not_booked() -> None:
    cells = week(B, A, pending=("cancel",))
    assert quick_toggle(cells) == {d(0): None, d(1): "reserve"}


def test_cells_are_ordered_by_date_first() -> None:
    cells = list(reversed(week(A, B, B)))
    assert quick_toggle(cells) == {d(0): "reserve", d(1): None, d(2): None}


def test_nothing_actionable() -> None:
    assert quick_toggle([]) == {}
    assert quick_toggle(week(C, F, L)) == {}


@pytest.mark.parametrize(
    ("state", "pending", "expected"),
    [
        (A, None, "reserve"),
        (A, "reserve", None),
        (W, None, "reserve"),
        (W, "reserve", None),
        (B, None, "cancel"),
        (B, "cancel", None),
        (R, None, "cancel"),
        (R, "cancel", None),
        (C, None, None),
        (F, None, None),
        (L, None, None),
    ],
)
def test_toggle_day(state: DayState, pending: str | None, expected: str | None) -> None:
    assert toggle_day(Cell(MON, state, pending)) == expected  # type: ignore[arg-type]


def test_toggle_day_twice_is_identity() -> None:
    for s in (A, W, B, R):
        c = Cell(MON, s)
        once = replace(c, pending=toggle_day(c))
        assert effectively_booked(once) != effectively_booked(c)
        assert toggle_day(once) is None


def test_week_of_and_same_weekday() -> None:
    month = [date(2027, 3, 1) + timedelta(days=i) for i in range(31)]
    assert week_of(date(2027, 3, 17), month) == [date(2027, 3, d) for d in range(15, 22)]
    assert week_of(date(2027, 3, 21), month) == [date(2027, 3, d) for d in range(15, 22)]  # Sunday
    assert week_of(date(2027, 3, 31), month) == [date(2027, 3, 29), date(2027, 3, 30), date(2027, 3, 31)]
    assert week_of(date(2027, 3, 1), list(reversed(month)))[0] == date(2027, 3, 1)
    # across a year boundary: Monday 27/12/2027 .. Sunday 02/01/2028
    span = [date(2027, 12, 20) + timedelta(days=i) for i in range(20)]
    assert week_of(date(2028, 1, 1), span) == [date(2027, 12, 27) + timedelta(days=i) for i in range(7)]
    assert same_weekday(0, month) == [date(2027, 3, d) for d in (1, 8, 15, 22, 29)]
    assert same_weekday(2, reversed(month)) == [date(2027, 3, d) for d in (3, 10, 17, 24, 31)]  # type: ignore[arg-type]
    assert same_weekday(6, []) == []


# --- properties --------------------------------------------------------------------------

pendings = st.sampled_from([None, "reserve", "cancel"])


@st.composite
def cell_sets(draw: st.DrawFn) -> list[Cell]:
    offsets = draw(st.lists(st.integers(0, 40), unique=True, max_size=12))
    cells = [Cell(MON + timedelta(days=o), draw(st.sampled_from(DayState)), draw(pendings)) for o in offsets]
    return draw(st.permutations(cells))


def apply(cells: list[Cell], result: dict) -> list[Cell]:
    return [replace(c, pending=result[c.day]) if c.day in result else c for c in cells]


@given(cell_sets())
def test_quick_toggle_properties(cells: list[Cell]) -> None:
    result = quick_toggle(cells)
    acts = sorted((c for c in cells if actionable(c)), key=lambda c: c.day)
    # exactly the actionable days
    assert set(result) == {c.day for c in acts}
    if not acts:
        return
    # the decision depends only on the first actionable day
    target = not effectively_booked(acts[0])
    after = apply(cells, result)
    assert {effectively_booked(c) for c in after if actionable(c)} == {target}
    # a pending value always makes sense for the state
    for c in after:
        if c.state in (A, W):
            assert c.pending in (None, "reserve")
        elif c.state in (B, R):
            assert c.pending in (None, "cancel")
    # toggling again inverts
    again = apply(after, quick_toggle(after))
    assert {effectively_booked(c) for c in again if actionable(c)} == {not target}
    # and a third time comes back to the first result
    assert quick_toggle(again) == result


@given(cell_sets(), cell_sets())
def test_decision_depends_only_on_first_actionable_day(first: list[Cell], rest: list[Cell]) -> None:
    acts = sorted((c for c in first if actionable(c)), key=lambda c: c.day)
    if not acts:
        return
    head = acts[0]
    # anything after the first actionable day (shifted later) does not change the decision
    tail = [replace(c, day=c.day + timedelta(days=100)) for c in rest]
    result = quick_toggle([head, *tail])
    after = apply([head, *tail], result)
    assert {effectively_booked(c) for c in after if actionable(c)} == {not effectively_booked(head)}
    assert result[head.day] == quick_toggle([head])[head.day]


@given(cell_sets())
def test_non_actionable_days_never_appear(cells: list[Cell]) -> None:
    result = quick_toggle(cells)
    assert all(actionable(c) for c in cells if c.day in result)
