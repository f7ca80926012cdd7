from pathlib import Path

from kit.service import Service

service = Service(name="booking", migrations_dir=Path(__file__).parent / "migrations")
