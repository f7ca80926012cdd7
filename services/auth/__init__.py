"""auth: accounts, sign-in and sessions, families and structures; the owner of who is who (docs/adr/0007 for the layers)."""
