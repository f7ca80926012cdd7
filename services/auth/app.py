from pathlib import Path

from contracts.consistency import AuthFactsDigestV1, ConsistencyCheckRequestedV1
from kit import consistency
from kit.service import APP_KEY, Service, Subscription
from services.auth import api, demo, resync
from services.auth.settings import AuthSettings


def routes(app) -> None:
    api.routes(app)
    consistency.owner_routes(app, lambda request: request.app[APP_KEY].pool, resync.OWNER, AuthFactsDigestV1,
                             resync.QUERIES, resync.NAMES, resync.resync)


service = Service(
    name="auth",
    migrations_dir=Path(__file__).parent / "migrations",
    settings_cls=AuthSettings,
    routes=routes,
    subscriptions=[Subscription(ConsistencyCheckRequestedV1, resync.digest_on_request)],
    commands={"demo": demo.load},
)
service.commands["resync"] = consistency.resync_command("auth", resync.resync, lambda: service.args)
