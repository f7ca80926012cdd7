"""bench.booking_year's report: each measurement's table rows and notes, its RESULT figures and its checks
(every call answered without error; for the confirmations, the same outcomes on both sides and in the
database; for the transmission, every pending line transmitted with one outbox event each), and the final
table."""

from __future__ import annotations

import math
from collections import Counter

from bench.booking_year.drive import Run, pct
from bench.booking_year.transmission import TransmissionRun
from bench.common import Report

Row = tuple[str, str, str, str]  # what, service, raw PostgreSQL, service/raw


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b and not math.isnan(a) and not math.isnan(b) else "-"


def errors(run: Run) -> str:
    return ", ".join(f"{k}: {v}" for k, v in run.errors.most_common()) or "none"


def check_run(report: Report, what: str, run: Run, expected: int) -> None:
    """Every call answered, without any error (exception, non-2xx answer, time limit)."""
    report.check(not run.errors, f"{what}: " + "; ".join(
        f"{count} x {kind} (first: {run.samples.get(kind, '-')})" for kind, count in run.errors.most_common()))
    report.check(run.done == expected, f"{what}: {run.done} of {expected} calls succeeded")


def check_confirm(report: Report, parents: int, service: Run, raw: Run, lines: int) -> None:
    """Both sides recorded every line sent, with the same outcomes (the database is put back between them)."""
    for side, run in (("service", service), ("raw", raw)):
        answered = sum(run.outcomes.values())
        report.check(answered == lines, f"confirm {parents}, {side}: outcomes for {answered} lines, {lines} sent "
                                        f"({dict(run.outcomes)})")
        report.check(sum(run.recorded.values()) == lines and run.recorded == run.outcomes,
                     f"confirm {parents}, {side}: bookings in the database {dict(run.recorded)}, answers "
                     f"{dict(run.outcomes)}, {lines} lines sent")
    report.check(service.outcomes == raw.outcomes, f"confirm {parents}: the service's outcomes "
                 f"{dict(service.outcomes)} differ from the raw run's {dict(raw.outcomes)} for the same baskets")


def outcome_difference(a: Counter, b: Counter) -> int:
    return sum(abs(a[k] - b[k]) for k in set(a) | set(b))



def report_calendar(report: Report, rows: list[Row], notes: list[str], concurrency: int, service: Run, raw: Run,
                    requests: int, prefix: str = "calendar") -> None:
    """The rows, checks and RESULT figures of one calendar series (`concurrency` requests at once); `prefix`
    "calendar_gateway" for the series through the gateway."""
    label = (f"{prefix.replace('_', ' ')}, {'sequential' if concurrency == 1 else f'{concurrency} at once'} "
             f"(n={service.done})")
    rows.append((f"{label}: p50", ms(pct(service.latencies, .5)), ms(pct(raw.latencies, .5)),
                 ratio(pct(service.latencies, .5), pct(raw.latencies, .5))))
    rows.append((f"{label}: p99", ms(pct(service.latencies, .99)), ms(pct(raw.latencies, .99)),
                 ratio(pct(service.latencies, .99), pct(raw.latencies, .99))))
    rows.append((f"{label}: requests/s", f"{service.rate:.0f}/s", f"{raw.rate:.0f}/s",
                 ratio(service.rate, raw.rate)))
    notes.append(f"{prefix} {concurrency} at once: errors service: {errors(service)}; raw: {errors(raw)}")
    print("  " + "\n  ".join(" | ".join(r) for r in rows[-3:]), flush=True)
    name = f"{prefix}_serial" if concurrency == 1 else f"{prefix}_concurrent"
    check_run(report, f"{prefix} {concurrency} at once, service", service, requests)
    check_run(report, f"{prefix} {concurrency} at once, raw", raw, requests)
    for side, run in (("service", service), ("raw", raw)):
        report.result(f"{name}_{side}_p50_ms", pct(run.latencies, .5) * 1000)
        report.result(f"{name}_{side}_p99_ms", pct(run.latencies, .99) * 1000)
        report.result(f"{name}_{side}_per_s", run.rate)
    report.result(f"{name}_ratio", service.rate / raw.rate if raw.rate else float("nan"))
    report.result(f"{name}_errors", sum(service.errors.values()) + sum(raw.errors.values()))


def report_confirm(report: Report, rows: list[Row], notes: list[str], parents: int, rounds: int, basket_days: int,
                   service: Run, raw: Run) -> None:
    """The rows, checks and RESULT figures of the confirmation bursts of `parents` parents at once."""
    label = (f"confirm 40 lines, {parents} parents at once (done of {parents * rounds}: "
             f"service {service.done}, raw {raw.done})")
    rows.append((f"{label}: baskets/s", f"{service.rate:.1f}/s", f"{raw.rate:.1f}/s",
                 ratio(service.rate, raw.rate)))
    rows.append((f"{label}: p50", ms(pct(service.latencies, .5)), ms(pct(raw.latencies, .5)),
                 ratio(pct(service.latencies, .5), pct(raw.latencies, .5))))
    rows.append((f"{label}: p99", ms(pct(service.latencies, .99)), ms(pct(raw.latencies, .99)),
                 ratio(pct(service.latencies, .99), pct(raw.latencies, .99))))
    lines = parents * rounds * 4 * basket_days
    notes.append(f"confirm {parents}: service errors: {errors(service)}; outcomes "
                 f"{dict(service.outcomes.most_common())}; lines recorded by the service in the end: "
                 f"{service.drain[0]:,} of {lines:,}, the last "
                 f"{service.drain[1]:.1f} s after the client's end")
    notes.append(f"confirm {parents}: raw errors: {errors(raw)}; outcomes {dict(raw.outcomes.most_common())}")
    print("  " + "\n  ".join(" | ".join(r) for r in rows[-3:]), flush=True)
    check_run(report, f"confirm {parents}, service", service, parents * rounds)
    check_run(report, f"confirm {parents}, raw", raw, parents * rounds)
    check_confirm(report, parents, service, raw, lines)
    name = f"confirm_{parents}"
    for side, run in (("service", service), ("raw", raw)):
        report.result(f"{name}_{side}_per_s", run.rate)
        report.result(f"{name}_{side}_p50_ms", pct(run.latencies, .5) * 1000)
        report.result(f"{name}_{side}_p99_ms", pct(run.latencies, .99) * 1000)
    report.result(f"{name}_ratio", service.rate / raw.rate if raw.rate else float("nan"))
    report.result(f"{name}_lines", lines)
    for outcome in ("accepted", "waitlisted", "refused"):
        report.result(f"{name}_{outcome}", service.outcomes[outcome])
    report.result(f"{name}_errors", sum(service.errors.values()) + sum(raw.errors.values()))
    report.result(f"{name}_outcomes_differ", outcome_difference(service.outcomes, raw.outcomes))


def report_transmission(report: Report, rows: list[Row], notes: list[str], pending: int, loaded: int,
                        service_t: TransmissionRun, raw_t: TransmissionRun) -> None:
    """The rows, checks and RESULT figures of the nightly transmission (`loaded`: the pending lines loaded)."""
    rows.append((f"transmission, {service_t.lines:,} lines ({service_t.events:,} events): time",
                 f"{service_t.seconds:.2f} s", f"{raw_t.seconds:.2f} s", ratio(service_t.seconds, raw_t.seconds)))
    rows.append(("transmission: lines/s", f"{service_t.rate:,.0f}/s", f"{raw_t.rate:,.0f}/s",
                 ratio(service_t.rate, raw_t.rate)))
    notes.append("transmission raw phases: " + ", ".join(f"{k} {v:.2f} s" for k, v in raw_t.phases.items()))
    if raw_t.lines != service_t.lines:
        notes.append(f"transmission: raw sent {raw_t.lines} lines, service {service_t.lines}")
    notes.append(f"transmission outbox rows: service {service_t.outbox_rows:,}, raw {raw_t.outbox_rows:,} "
                 f"(booking.transmitted.v1: {service_t.transmitted_rows:,} and {raw_t.transmitted_rows:,})")
    report.check(pending == loaded,
                 f"transmission: {pending} lines pending, {loaded} loaded "
                 "(the confirmation runs were not undone)")
    for side, run in (("service", service_t), ("raw", raw_t)):
        report.check(run.lines == pending, f"transmission, {side}: {run.lines} lines transmitted, {pending} pending")
        report.check(run.left == 0, f"transmission, {side}: {run.left} lines still pending afterwards")
        report.check(run.transmitted_rows == run.events, f"transmission, {side}: {run.transmitted_rows} "
                     f"booking.transmitted.v1 outbox rows for {run.events} events")
    report.check(service_t.events == raw_t.events,
                 f"transmission: the service wrote {service_t.events} events, the raw run {raw_t.events}")
    report.result("transmission_service_s", service_t.seconds)
    report.result("transmission_raw_s", raw_t.seconds)
    report.result("transmission_service_per_s", service_t.rate)
    report.result("transmission_raw_per_s", raw_t.rate)
    report.result("transmission_ratio", service_t.rate / raw_t.rate if raw_t.rate else float("nan"))
    report.result("transmission_lines", service_t.lines)
    report.result("transmission_events", service_t.events)
    report.result("transmission_untransmitted", pending - service_t.lines)


def print_table(rows: list[Row], notes: list[str]) -> None:
    """The service/raw table of every measurement, then the notes."""
    width = max((len(r[0]) for r in rows), default=10)
    print()
    print(f"{'benchmark':<{width}} | {'service':>12} | {'raw PostgreSQL':>14} | service/raw")
    print("-" * (width + 48))
    for name, a, b, r in rows:
        print(f"{name:<{width}} | {a:>12} | {b:>14} | {r:>6}")
    print()
    for note in notes:
        print("- " + note)
