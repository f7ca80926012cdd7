"""A school year of bookings: how fast are the calendar, the confirmation and the nightly transmission,
and how far is each from what PostgreSQL alone does with the same statements?

Loads a realistic year into a scratch booking database (3 structures, 3,000 families, 5,000 children,
8 activities, 180 school days, half the year already booked), runs the real booking service in a
process of its own as deployed (`python -m services.booking` on a free port, its real pool, broker
connection and outbox relay on a RabbitMQ virtual host of its own) and drives its HTTP API with signed parent identities. Every figure is
printed beside the raw PostgreSQL figure for the same statements without the service (asyncpg, same
pool size), and as a ratio service/raw. The database and the virtual host are removed afterwards,
also on failure or Ctrl-C.

    uv run python -m bench.booking_year                 # full year (about 3 minutes)
    uv run python -m bench.booking_year --quick         # smoke check (< 1 minute)
    uv run python -m bench.booking_year --families 1000
    uv run python -m bench.booking_year --no-rush --no-calendar   # the confirmation and the transmission only

Needs the local PostgreSQL (127.0.0.1:5432, user postgres) and RabbitMQ (rabbitmqctl on the PATH).
The load generator shares the machine's 2 cores with the service (not its event loop): HTTP figures
include the client's own cost, so they are pessimistic for the service.

The package, one module per job: `data` (the sizes and the year, loaded with COPY), `drive` (the load
generator and its signed HTTP client), `calendar`, `confirm` and `transmission` (the three measurements,
service and raw), `report` (rows, RESULT figures and checks), `__main__` (the command).
"""
