"""The morning digests: how long does the digest run take for a whole town's night, how much memory, and
how fast are the mails then handed to SMTP?

Loads a scratch notify database (5,000 families with 1-2 addresses each, 100,000 transmitted movements
as booking.transmitted payloads, spread over 1-3 children, several activities, a month of dates, and
sometimes a second structure or several transmissions in the night), then measures:

1. `services.notify.service.digest_runs.run` (the real one, one transaction per family and structure): wall time,
   digests/s, RSS before/after (ru_maxrss) and, in a second run after a reset, the tracemalloc peak;
2. the same digests built without the database (`build_digest` over the same data in memory), parsing
   the JSON payloads or not, to tell the SQL and transaction part from the rendering part;
3. `DeliverySender.drain` (the service's pool of SMTP sessions, outcomes recorded in bulk) with 1 then 8
   sessions against a local SMTP server that does not parse (`smtp_null`, its own process: the floor of a
   hand-off), then with 8 against `python -m tools.mailcatcher` in its own process: mails/s, and a check
   that the server received exactly one mail per sent delivery, with its recipients.

    uv run python -m bench.digests                      # 5,000 families, 100,000 movements
    uv run python -m bench.digests --quick              # 200 families, 4,000 movements (< 30 s)
    uv run python -m bench.digests --families 1000 --movements 20000

Needs the local PostgreSQL (127.0.0.1:5432, user postgres). The database is removed afterwards, also on
failure or Ctrl-C. The SMTP servers run in processes of their own, so that their parsing does not take the
sender's CPU.

The package, one module per job: `data` (the data set, generated and loaded with COPY), `building` (the
digest run, timed, and the same digests built in memory), `sending` (the SMTP passes and their checks),
`__main__` (the command).
"""
