from pathlib import Path

from kit.service import Service
from services.auth import api, demo
from services.auth.settings import AuthSettings

service = Service(
    name="auth",
    migrations_dir=Path(__file__).parent / "migrations",
    settings_cls=AuthSettings,
    routes=api.routes,
    commands={"demo": demo.load},
)
