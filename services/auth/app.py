from pathlib import Path

from kit.service import Service
from services.auth import api, demo

service = Service(
    name="auth",
    migrations_dir=Path(__file__).parent / "migrations",
    routes=api.routes,
    commands={"demo": demo.load},
)
