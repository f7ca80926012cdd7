"""Run the dossier service: `python -m services.dossier` (migrating first), or one of its commands."""

from services.dossier.app import service

service.main()
