from pathlib import Path

from kit.service import Service

service = Service(name="dossier", migrations_dir=Path(__file__).parent / "migrations")
