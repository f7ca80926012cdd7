"""python -m services.notify: run notify (migrating first), or one of its commands (migrate, digest)."""

from services.notify.app import service

service.main()
