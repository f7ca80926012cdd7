#!/usr/bin/env bash
# The three benchmarks at smoke size, one after another (`make bench-smoke`, run by .ci/run): each
# checks its own outcome and exits non-zero when anything went wrong (see bench/README.md, "Smoke
# runs and RESULT lines"). All three run even if one fails; this script then exits 1. At the end it
# prints every RESULT line again, and the wall time.
#
# Each benchmark is bounded by BENCH_SMOKE_TIMEOUT seconds (default 600); on expiry it gets one SIGINT,
# so that it still removes its scratch databases and virtual host, and SIGKILL 60 s later. The
# project's interpreter is found with `uv run` once, then run directly: `uv run` would pass the
# SIGINT on a second time and interrupt the clean-up.
set -euo pipefail
cd "$(dirname "$0")/.."

timeout_s="${BENCH_SMOKE_TIMEOUT:-600}"
python="$(uv run python -c 'import sys; print(sys.executable)')"
logs="$(mktemp -d "${TMPDIR:-/tmp}/bench-smoke.XXXXXX")"
trap 'rm -rf "$logs"' EXIT
export PYTHONUNBUFFERED=1

benchmarks=(
  "booking_year --quick"
  "digests --quick"
  "outbox_throughput 300"
)

start=$SECONDS
failed=()
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for bench in "${benchmarks[@]}"; do
  read -r -a argv <<<"$bench"
  name="${argv[0]}"
  echo "-- bench.${bench}"
  t0=$SECONDS
  # --foreground: the SIGINT goes to the benchmark only, once (not to its process group as well)
  if timeout --foreground --signal=INT --kill-after=60 "$timeout_s" "$python" -m "bench.$name" "${argv[@]:1}" 2>&1 \
      | tee "$logs/$name.log"; then
    echo "-- bench.${name}: ok ($((SECONDS - t0)) s)"
  else
    status=("${PIPESTATUS[@]}")
    echo "-- bench.${name}: FAILED (exit status ${status[0]}, $((SECONDS - t0)) s)" >&2
    failed+=("$name")
  fi
done

echo
echo "== RESULT lines =="
for bench in "${benchmarks[@]}"; do
  name="${bench%% *}"
  echo "# bench.${name}"
  grep '^RESULT ' "$logs/$name.log" || echo "# (none)"
done
echo "smoke benchmarks: $((SECONDS - start)) s wall time; load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if ((${#failed[@]})); then
  for name in "${failed[@]}"; do  # the benchmarks' own reasons, gathered at the end of the log
    grep -E "^bench\.${name}: FAILED: |^[A-Za-z_.]+(Error|Exception|Interrupt)(:|$)" "$logs/$name.log" >&2 || true
  done
  echo "smoke benchmarks FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "smoke benchmarks: all passed"
