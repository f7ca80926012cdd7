"""auth's declaration: its migrations, internal routes, subscriptions and commands (`demo`, `resync`)."""

from pathlib import Path

from kit import consistency
from kit.service import Service
from services.auth import demo, events, http
from services.auth.settings import AuthSettings


def routes(app) -> None:
    http.routes(app)
    events.owner_routes(app)


service = Service(
    name="auth",
    migrations_dir=Path(__file__).parent / "migrations",
    settings_cls=AuthSettings,
    routes=routes,
    subscriptions=events.SUBSCRIPTIONS,
    commands={"demo": demo.load, "demo-history": demo.load_other_families},
    lean_pool_reset=True,  # no session-level lock or setting on its pooled connections (kit.db): every page asks it
)
service.commands["resync"] = consistency.resync_command("auth", events.resync, lambda: service.args)
