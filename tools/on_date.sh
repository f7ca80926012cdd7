#!/usr/bin/env bash
# Run tests as if today were another day: `tools/on_date.sh 2027-02-04 [pytest arguments]`
# (or "2027-02-04 23:30", UTC; the default time is 09:00 UTC).
#
# The test processes (and the services they start) run under libfaketime with the system clock moved
# by a fixed offset, and so does a scratch PostgreSQL cluster of their own (its now() must agree with
# Python's). RabbitMQ keeps the real clock: nothing in the portal reads the broker's time.
# Needs Debian's faketime package and a PostgreSQL server installed (not necessarily running).
set -euo pipefail
cd "$(dirname "$0")/.."

day=${1:?usage: tools/on_date.sh YYYY-MM-DD[ HH:MM] [pytest arguments]}
shift
case "$day" in *:*) ;; *) day="$day 09:00" ;; esac
lib=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -1)
[ -n "$lib" ] || { echo "libfaketime introuvable : apt-get install -y faketime" >&2; exit 2; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
port=${PORTAIL_FAKE_PG_PORT:-5439}

offset=$(( $(date -u -d "$day UTC" +%s) - $(date +%s) ))
# The monotonic clock moves by the same offset (FAKETIME_DONT_FAKE_MONOTONIC=1 breaks Python's time.sleep).
sign=+; [ "$offset" -lt 0 ] && sign=
fake=(env "LD_PRELOAD=$lib" "FAKETIME=$sign$offset")

scratch=$(mktemp -d /tmp/portail-on-date-XXXXXX)
chown postgres "$scratch"
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop() {
  as_postgres "$pgbin/pg_ctl" -D "$scratch/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap stop EXIT

as_postgres "${fake[@]}" "$pgbin/initdb" -D "$scratch/data" -A trust -U postgres >/dev/null
as_postgres "${fake[@]}" "$pgbin/pg_ctl" -D "$scratch/data" -l "$scratch/postgres.log" -w start \
  -o "-p $port -k $scratch -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" >/dev/null

echo "== tests on $("${fake[@]}" date -u '+%A %Y-%m-%d %H:%M UTC') (PostgreSQL on port $port, same clock) =="
status=0
"${fake[@]}" PORTAIL_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port" .venv/bin/pytest "$@" || status=$?
exit "$status"
