"""auth's rules: pure functions and dataclasses, no I/O (passwords, sign-in policy, families and their
CSV import, e-mail addresses, the cleaning of staff-written HTML)."""
