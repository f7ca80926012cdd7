"""Whether a confirmation just admitted waits for its result (the parent sees it directly) or is answered
with its position at once (docs/adr/0008): the rule, and the recent rate it is fed with; and how often a
waiting page asks again."""

from __future__ import annotations

import uuid

from services.booking.domain.admission import (
    DEFAULT_RATE_PER_S,
    POLL_MAX_SECONDS,
    POLL_MIN_SECONDS,
    eta_seconds,
    poll_seconds,
    worth_waiting,
)
from services.booking.http.admission import RATE_WINDOW_S, Room
from services.booking.service.admission import State


def test_alone_it_waits_for_its_result():
    assert worth_waiting(0, 40.0, 3.0)
    assert worth_waiting(0, None, 3.0)  # before the first basket is recorded: the prudent rate


def test_behind_more_than_the_workers_record_in_the_wait_it_is_answered_at_once():
    assert worth_waiting(119, 40.0, 3.0)  # 120th at 40/s: recorded within 3 s
    assert not worth_waiting(120, 40.0, 3.0)  # 121st: 4 s, the position is shown at once
    limit = int(DEFAULT_RATE_PER_S * 3)
    assert worth_waiting(limit - 1, None, 3.0) and not worth_waiting(limit, None, 3.0)


def test_a_rate_seen_under_light_load_does_not_stop_it_waiting():
    assert worth_waiting(0, 0.1, 3.0)  # one basket in the last seconds: nobody ahead, the result comes
    assert worth_waiting(5, 0.1, 3.0)  # a few ahead: the prudent rate, not the quiet hour's


def test_no_wait_configured_means_never_waiting():
    assert not worth_waiting(0, 100.0, 0)


def test_the_rate_counts_the_recent_records_only():
    room = Room()
    assert room.rate(100.0) is None
    for i in range(30):
        room.record(100.0 + i * 0.1)  # 30 baskets in 3 s
    assert room.rate(103.0) == 30 / RATE_WINDOW_S
    later = 100.0 + RATE_WINDOW_S + 1.5  # the first 15 are older than the window now
    room.record(later)
    assert room.rate(later) == 16 / RATE_WINDOW_S
    assert len(room.recorded) == 16  # and forgotten


def test_a_waiting_page_asks_again_often_near_its_turn_and_seldom_far_from_it():
    assert poll_seconds(1) == poll_seconds(8) == POLL_MIN_SECONDS == 2  # the result shown within two seconds
    assert poll_seconds(30) == 10  # a third of the wait shown
    assert poll_seconds(90) == poll_seconds(3600) == POLL_MAX_SECONDS == 30  # never more than thirty seconds
    assert poll_seconds(None) == poll_seconds(0) == 2
    # 3,000 parents waiting a minute and a half or more ask 3,000 / 30 = 100 times a second, not 1,500
    assert 3000 / poll_seconds(90) == 100


def test_the_state_of_a_request_says_when_to_ask_again_only_while_it_waits():
    queued = State(uuid.uuid4(), "queued", 120, eta_seconds(120, 4.0), None, None)
    assert (queued.eta_seconds, queued.poll_seconds) == (30, 10)
    done = State(uuid.uuid4(), "done", None, None, [], None)
    assert done.poll_seconds is None
