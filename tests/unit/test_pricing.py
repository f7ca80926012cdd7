"""The shared tariff rule (contracts.pricing): brackets, revisions, child rank, timed units."""

import uuid
from datetime import date, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from contracts.pricing import (
    Bracket,
    Price,
    Tariff,
    bracket_for,
    child_ranks,
    current_tariff,
    price,
    quantity_for,
)

ACTIVITY = uuid.UUID("0e1d2c3b-4a59-4687-a9b8-c7d6e5f40312")


def tariff(effective_from=date(2019, 9, 1), unit="session", brackets=None, reduced_from_rank=None,
           activity=ACTIVITY):
    return Tariff(
        tariff_id=uuid.uuid4(),
        activity_id=activity,
        effective_from=effective_from,
        unit=unit,
        brackets=brackets or [Bracket(price_cents=359)],
        reduced_from_rank=reduced_from_rank,
    )


BRACKETS = [
    Bracket(qf_max=500, price_cents=100),
    Bracket(qf_max=1000, price_cents=200),
    Bracket(price_cents=359),
]

# The guide's December 2019 school meals: the eldest pays 3,59, the two younger 2,98.
MEALS = tariff(brackets=[Bracket(price_cents=359, reduced_price_cents=298)], reduced_from_rank=2)


# --- brackets ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("qf", "expected"), [
    (0, 100), (500, 100), (501, 200), (1000, 200), (1001, 359), (99_999, 359),
])
def test_bracket_edges(qf, expected):
    assert bracket_for(tariff(brackets=BRACKETS), qf).price_cents == expected


def test_unknown_quotient_pays_the_highest_bracket():
    assert bracket_for(tariff(brackets=BRACKETS), None).price_cents == 359
    closed = [Bracket(qf_max=500, price_cents=100), Bracket(qf_max=1000, price_cents=200)]
    assert bracket_for(tariff(brackets=closed), None).price_cents == 200


def test_quotient_above_every_ceiling_pays_the_last_bracket():
    closed = [Bracket(qf_max=500, price_cents=100), Bracket(qf_max=1000, price_cents=200)]
    assert bracket_for(tariff(brackets=closed), 5000).price_cents == 200


def test_negative_quotient_is_refused():
    with pytest.raises(ValueError, match="négatif"):
        bracket_for(tariff(brackets=BRACKETS), -1)


@pytest.mark.parametrize("brackets", [
    [Bracket(qf_max=1000, price_cents=200), Bracket(qf_max=500, price_cents=100)],  # not ascending
    [Bracket(qf_max=500, price_cents=100), Bracket(qf_max=500, price_cents=200)],   # duplicate ceiling
    [Bracket(price_cents=100), Bracket(qf_max=500, price_cents=200)],               # open bracket not last
    [Bracket(price_cents=100), Bracket(price_cents=200)],                           # two open brackets
    [],                                                                             # none
])
def test_bracket_validation(brackets):
    with pytest.raises(ValidationError):
        Tariff(tariff_id=uuid.uuid4(), activity_id=ACTIVITY, effective_from=date(2019, 9, 1), brackets=brackets)


def test_bracket_and_tariff_field_validation():
    with pytest.raises(ValidationError):
        Bracket(price_cents=-1)
    with pytest.raises(ValidationError):
        Bracket(qf_max=-1, price_cents=1)
    with pytest.raises(ValidationError):
        Bracket(price_cents=1, reduced_price_cents=-1)
    with pytest.raises(ValidationError):
        Bracket(price_cents=1, surprise=2)
    with pytest.raises(ValidationError):
        tariff(reduced_from_rank=1)
    with pytest.raises(ValidationError):
        tariff(unit="day")
    with pytest.raises(ValidationError):
        MEALS.unit = "hour"  # frozen


def test_tariff_round_trips_through_json():
    assert Tariff.model_validate_json(MEALS.model_dump_json()) == MEALS


# --- revisions --------------------------------------------------------------------------------------

def test_revision_dates():
    first = tariff(effective_from=date(2019, 9, 1), brackets=[Bracket(price_cents=350)])
    second = tariff(effective_from=date(2020, 1, 1), brackets=[Bracket(price_cents=359)])
    versions = [second, first]  # any order
    assert current_tariff(versions, date(2019, 8, 31)) is None
    assert current_tariff(versions, date(2019, 9, 1)) == first
    assert current_tariff(versions, date(2019, 12, 31)) == first
    assert current_tariff(versions, date(2020, 1, 1)) == second
    assert current_tariff(versions, date(2020, 1, 2)) == second
    assert price(versions, date(2019, 12, 31), None, 1) == Price(350, 1, 350)
    assert price(versions, date(2020, 1, 1), None, 1) == Price(359, 1, 359)


def test_no_tariff_before_the_first_version():
    assert price([MEALS], MEALS.effective_from - timedelta(days=1), 800, 1) is None
    assert price([], date(2019, 12, 20), 800, 1) is None
    assert current_tariff([], date(2019, 12, 20)) is None


def test_same_revision_date_the_later_version_wins():
    a = tariff(brackets=[Bracket(price_cents=100)])
    b = tariff(brackets=[Bracket(price_cents=200)])
    assert current_tariff([a, b], date(2020, 1, 1)) == b


def test_versions_of_several_activities_are_refused():
    with pytest.raises(ValueError, match="une seule activité"):
        current_tariff([MEALS, tariff(activity=uuid.uuid4())], date(2020, 1, 1))


# --- child rank ------------------------------------------------------------------------------------

def test_guide_example_reduced_price_from_the_second_child():
    chanelya, nidison, rayley = (uuid.UUID(int=n) for n in (3, 1, 2))
    ranks = child_ranks([(nidison, date(2012, 5, 1)), (chanelya, date(2009, 3, 14)),
                         (rayley, date(2014, 11, 2))])
    assert ranks == {chanelya: 1, nidison: 2, rayley: 3}
    day = date(2019, 12, 20)
    costs = {child: price([MEALS], day, None, rank) for child, rank in ranks.items()}
    assert costs[chanelya] == Price(359, 1, 359)
    assert costs[nidison] == Price(298, 1, 298)
    assert costs[rayley] == Price(298, 1, 298)
    # The 12 lines the guide shows (four days, three children) come to 38,20; its TOTAL 78,77 is the
    # whole month, of which the screenshot shows only these lines.
    assert 4 * sum(cost.total_cents for cost in costs.values()) == 3820


def test_reduced_price_needs_both_the_rank_and_the_bracket_price():
    no_rank = tariff(brackets=[Bracket(price_cents=359, reduced_price_cents=298)])
    assert price([no_rank], date(2020, 1, 1), None, 3).unit_price_cents == 359
    no_reduced = tariff(brackets=[Bracket(price_cents=359)], reduced_from_rank=2)
    assert price([no_reduced], date(2020, 1, 1), None, 3).unit_price_cents == 359
    from_third = tariff(brackets=[Bracket(price_cents=359, reduced_price_cents=298)], reduced_from_rank=3)
    assert price([from_third], date(2020, 1, 1), None, 2).unit_price_cents == 359
    assert price([from_third], date(2020, 1, 1), None, 3).unit_price_cents == 298


def test_rank_starts_at_one():
    with pytest.raises(ValueError):
        price([MEALS], date(2020, 1, 1), None, 0)


def test_child_ranks_ties_broken_by_id_and_duplicates_refused():
    a, b = uuid.UUID(int=1), uuid.UUID(int=2)
    twins = date(2015, 6, 1)
    assert child_ranks([(b, twins), (a, twins)]) == {a: 1, b: 2}
    assert child_ranks([]) == {}
    with pytest.raises(ValueError):
        child_ranks([(a, twins), (a, date(2016, 1, 1))])


# --- timed units -----------------------------------------------------------------------------------

HALF = tariff(unit="half_hour", brackets=[Bracket(price_cents=120)])
HOUR = tariff(unit="hour", brackets=[Bracket(price_cents=210)])


@pytest.mark.parametrize(("arrival", "departure", "half_hours", "hours"), [
    (time(7, 0), time(8, 20), 3, 2),
    (time(7, 0), time(7, 30), 1, 1),
    (time(7, 0), time(7, 31), 2, 1),
    (time(7, 0), time(8, 0), 2, 1),
    (time(7, 0), time(8, 1), 3, 2),
    (time(7, 0), time(7, 0), 1, 1),  # at least one unit
    (time(16, 30), time(18, 45), 5, 3),
])
def test_started_units(arrival, departure, half_hours, hours):
    assert quantity_for(HALF, arrival, departure) == half_hours
    assert quantity_for(HOUR, arrival, departure) == hours


def test_timed_price_guide_example():
    day = date(2020, 1, 6)
    assert price([HALF], day, None, 1, time(7, 0), time(8, 20)) == Price(120, 3, 360)
    assert price([HOUR], day, None, 1, time(7, 0), time(8, 20)) == Price(210, 2, 420)


@pytest.mark.parametrize(("arrival", "departure"), [(None, None), (time(7, 0), None), (None, time(8, 0))])
def test_timed_units_need_both_times(arrival, departure):
    for timed in (HALF, HOUR):
        with pytest.raises(ValueError, match="obligatoires"):
            quantity_for(timed, arrival, departure)
        with pytest.raises(ValueError, match="obligatoires"):
            price([timed], date(2020, 1, 6), None, 1, arrival, departure)


def test_departure_before_arrival_is_refused():
    with pytest.raises(ValueError, match="départ"):
        quantity_for(HOUR, time(9, 0), time(8, 0))


def test_session_ignores_times():
    assert quantity_for(MEALS, None, None) == 1
    assert quantity_for(MEALS, time(7, 0), time(18, 0)) == 1


# --- properties ------------------------------------------------------------------------------------

times = st.times().map(lambda t: t.replace(microsecond=0))


@st.composite
def tariffs(draw):
    ceilings = sorted(draw(st.sets(st.integers(0, 5000), max_size=5)))
    open_last = draw(st.booleans()) or not ceilings
    count = len(ceilings) + (1 if open_last else 0)
    prices = draw(st.lists(st.integers(0, 100_000), min_size=count, max_size=count))
    reduced = draw(st.lists(st.one_of(st.none(), st.integers(0, 100_000)), min_size=count, max_size=count))
    bounds = ceilings + ([None] if open_last else [])
    return tariff(
        unit=draw(st.sampled_from(["session", "half_hour", "hour"])),
        brackets=[Bracket(qf_max=q, price_cents=p, reduced_price_cents=r) for q, p, r in zip(bounds, prices, reduced)],
        reduced_from_rank=draw(st.one_of(st.none(), st.integers(2, 5))),
    )


@given(tariffs(), st.one_of(st.none(), st.integers(0, 10_000)), st.integers(1, 8), times, times)
def test_total_is_unit_price_times_quantity(t, qf, rank, a, b):
    arrival, departure = min(a, b), max(a, b)
    result = price([t], t.effective_from, qf, rank, arrival, departure)
    assert isinstance(result.total_cents, int)
    assert result.total_cents == result.unit_price_cents * result.quantity
    assert result.quantity >= 1
    assert result.unit_price_cents in {x for b in t.brackets for x in (b.price_cents, b.reduced_price_cents)}


@given(st.lists(st.integers(0, 100_000), min_size=1, max_size=6), st.sets(st.integers(0, 5000), max_size=5),
       st.integers(0, 6000), st.integers(0, 6000), st.integers(1, 4))
def test_price_does_not_decrease_with_the_quotient(raw_prices, raw_ceilings, qf1, qf2, rank):
    ceilings = sorted(raw_ceilings)
    prices = sorted(raw_prices)[: len(ceilings) + 1]
    prices += [prices[-1]] * (len(ceilings) + 1 - len(prices))
    t = tariff(brackets=[Bracket(qf_max=q, price_cents=p) for q, p in zip([*ceilings, None], prices)])
    low, high = min(qf1, qf2), max(qf1, qf2)
    day = t.effective_from
    assert price([t], day, low, rank).total_cents <= price([t], day, high, rank).total_cents
    # An unknown quotient never pays less than a known one.
    assert price([t], day, high, rank).total_cents <= price([t], day, None, rank).total_cents


@given(st.lists(st.tuples(st.uuids(), st.dates()), max_size=8, unique_by=lambda c: c[0]))
def test_child_ranks_are_one_to_n_by_age(children):
    ranks = child_ranks(children)
    assert sorted(ranks.values()) == list(range(1, len(children) + 1))
    births = dict(children)
    for a in ranks:
        for b in ranks:
            if births[a] < births[b]:
                assert ranks[a] < ranks[b]
