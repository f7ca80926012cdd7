"""Fault scenarios (issue 14, "nothing lost from the first second"): processes killed or stopped in the middle
of their work, on the real PostgreSQL and RabbitMQ, and what they leave behind, counted as lost, duplicated,
half-written and repeated mails. One command runs them all and adds them up:

    uv run python -m bench.faults                  # every scenario, full size (a few minutes)
    uv run python -m bench.faults --quick          # smaller (about 2 minutes)
    uv run python -m bench.faults digest_kill9 booking_sigterm --families 300 --kills 5 --baskets 100 --lines 6

- `digest_kill9`: notify (`python -m services.notify`, a subprocess) sends ~300 families' morning digests to
  a local SMTP sink and is killed with SIGKILL several times, first while the run builds the digests, then
  while the mails are being handed over; it is started again each time. Counts the families left without
  their digest (lost), the mails received twice (repeated_mails: allowed, at most one per kill since a sender
  has one mail in flight, and with the Message-ID of the first copy) and the families that got two different
  mails (duplicated: must be 0).
- `booking_sigterm`: booking (`python -m services.booking`, a subprocess) gets SIGTERM in the middle of a
  burst of baskets of several lines each. Counts the baskets answered 200 that are not all recorded (lost),
  the baskets recorded in part (half_written) and checks the process drained its in-flight requests and
  exited 0.
- `start_order`, `kill9`, `broker_down`: the bus scenarios of bench/fault_scenarios/ (every start order
  without the topology step; each consumer killed with SIGKILL mid-stream; the broker's application stopped,
  on a RabbitMQ node of the run's own), each counting lost and duplicated effects.

Each scenario prints its RESULT line(s) as it ends: `RESULT scenario=<name> lost=… duplicated=… half_written=…
repeated_mails=…` (and its own figures) for the first two, `RESULT <scenario>_lost=…` and
`RESULT <scenario>_duplicated=…` for the bus ones (start_order: one pair per order); the run ends with the
totals, `RESULT lost=… duplicated=… half_written=… repeated_mails=…`. The exit status is 1 if anything was
lost, duplicated or half-written, or a scenario broke another promise (too many repeated mails, a process
that did not exit cleanly, …) or did not finish. Scratch resources (RabbitMQ virtual hosts, `faults<run>_*`
databases, the private node) are removed at the end, also on failure, Ctrl-C or SIGTERM.

The tests tests/integration/test_digest_crash.py, test_booking_sigterm.py and test_faults_*.py run the same
scenarios against the test session's virtual host and databases. One module per job: `processes` (a service
as a subprocess), `smtp_sink`, `digest_crash` (`digest_kill9`), `booking_drain` (`booking_sigterm`),
`runner` (the run and its totals), `__main__`. What the tests use is imported here.
"""

from bench.faults.booking_drain import BookingSigtermResult, booking_sigterm
from bench.faults.digest_crash import IN_FLIGHT_PER_SENDER, DigestCrashResult, digest_kill9, seed_digests

__all__ = ["IN_FLIGHT_PER_SENDER", "BookingSigtermResult", "DigestCrashResult", "booking_sigterm", "digest_kill9",
           "seed_digests"]
