"""Plumbing every service shares: settings, logs, traces, clock, French, database, migrations, outbox, inbox,
bus, HTTP and identity."""
