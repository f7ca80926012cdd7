"""The rentrée load generator (Locust): `loadtest/locustfile.py` is the parents' scenario, `loadtest/seed.py`
prepares the accounts it signs in with (docs/operations.md, "The rentrée rush")."""
