"""Sign-in policy without I/O: throttling delays, session lifetimes, tokens, e-mail lists."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.auth.domain import policy

NOW = datetime(2026, 11, 29, 13, 0, tzinfo=UTC)


def fail(times: int, rule=policy.ACCOUNT_RULE) -> policy.ThrottleState:
    state = policy.ThrottleState()
    for _ in range(times):
        state = policy.after_failure(state, rule, NOW)
    return state


def test_four_failures_are_free_the_fifth_blocks_one_minute():
    assert policy.blocked_until(fail(4), NOW) is None
    assert policy.blocked_until(fail(5), NOW) == NOW + timedelta(minutes=1)


def test_each_further_failure_doubles_the_delay_up_to_thirty_minutes():
    assert fail(6).blocked_until == NOW + timedelta(minutes=2)
    assert fail(7).blocked_until == NOW + timedelta(minutes=4)
    assert fail(20).blocked_until == NOW + timedelta(minutes=30)


def test_a_delay_that_is_over_no_longer_blocks():
    assert policy.blocked_until(fail(5), NOW + timedelta(minutes=1, seconds=1)) is None


def test_an_address_gets_twenty_free_failures():
    assert policy.blocked_until(fail(19, policy.ADDRESS_RULE), NOW) is None
    assert policy.blocked_until(fail(20, policy.ADDRESS_RULE), NOW) is not None


def test_retry_message_is_in_paris_time():
    # 13:00 UTC is 14:00 in Paris in winter
    assert "réessayez à partir de 14:00 (heure de Paris)" in policy.retry_message(NOW)


@given(st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=20 * 60))
def test_session_alive_iff_within_idle_and_absolute_limits(idle_minutes, age_minutes):
    rules = policy.SessionPolicy(timedelta(minutes=30), timedelta(hours=12))
    created = NOW - timedelta(minutes=age_minutes)
    last_seen = max(created, NOW - timedelta(minutes=idle_minutes))
    alive = rules.is_alive(created, last_seen, NOW)
    assert alive == (NOW - last_seen < timedelta(minutes=30) and age_minutes < 12 * 60)


def test_tokens_carry_at_least_128_random_bits_and_are_stored_hashed():
    tokens = {policy.new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(t) >= 43 for t in tokens)  # 32 bytes, URL-safe base64
    token = tokens.pop()
    assert policy.token_hash(token) != token.encode() and len(policy.token_hash(token)) == 32


def test_emails_are_split_on_semicolons_deduplicated_in_order():
    assert policy.split_emails(" a@x.fr ; b@x.fr;;A@x.fr ;c@x.fr ") == ["a@x.fr", "b@x.fr", "c@x.fr"]
    assert policy.split_emails("") == []


def test_a_session_check_records_activity_at_most_once_a_minute():
    rules = policy.SessionPolicy()
    assert not rules.needs_touch(NOW - timedelta(seconds=59), NOW)  # a page polled every few seconds: no write
    assert rules.needs_touch(NOW - timedelta(minutes=1), NOW)
    # the idle timeout still slides: touched once a minute, a session in use never goes idle
    assert rules.is_alive(NOW - timedelta(hours=1), NOW - rules.touch_every, NOW)
