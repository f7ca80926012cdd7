"""python -m services.auth: run auth (migrating first), or one of its commands (migrate, demo, resync)."""

from services.auth.app import service

service.main()
