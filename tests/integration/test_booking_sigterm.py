"""booking stopped with SIGTERM in the middle of a burst of basket confirmations (issue 14): it stops
taking requests, finishes those in flight and exits 0; every basket answered 200 is recorded whole, no
basket is recorded in part, and a basket not answered got a connection error or a 503, never a 200
without its lines.

booking runs as a subprocess (`python -m services.booking`) against this session's virtual host and a
database of its own; the scenario itself is bench/faults.py's `booking_sigterm` (also run outside pytest)."""

from __future__ import annotations

from bench.faults import booking_sigterm
from tests.conftest import PG_URL

BASKETS = 100
LINES = 6
LATE = 20


async def test_sigterm_during_a_burst_drains_and_writes_no_half_basket(amqp_url, db_prefix, tmp_path):
    result = await booking_sigterm(PG_URL, amqp_url, f"{db_prefix}sigterm_", tmp_path, baskets=BASKETS, lines=LINES,
                                   late=LATE)
    print(f"\nlost={result.lost} half_written={result.half_written} answered={result.answered} "
          f"answered_after_sigterm={result.answered_after_sigterm} in_flight_at_sigterm={result.in_flight_at_sigterm} "
          f"refused_503={result.refused_503} connection_errors={result.connection_errors} "
          f"recorded_without_200={result.recorded_without_200} exit_code={result.exit_code} "
          f"drain_seconds={result.drain_seconds:.2f}")
    log = (tmp_path / "booking.log").read_text()[-3000:]
    assert result.answered + result.refused_503 + result.connection_errors == BASKETS + LATE
    assert not result.other_statuses, result.other_statuses
    # every 200 is recorded whole; nothing is recorded in part; a 503 recorded nothing
    assert result.lost == 0
    assert result.half_written == 0
    assert result.refused_but_recorded == 0
    # the requests in flight at SIGTERM were finished, not cut: answered after the signal
    assert result.answered_after_sigterm > 0
    assert result.answered >= BASKETS // 4 + result.answered_after_sigterm
    # the process drained and stopped cleanly, well within its shutdown timeout
    assert result.exit_code == 0, log
    assert result.drain_seconds < 20
    assert result.failures() == []
