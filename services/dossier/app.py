from pathlib import Path

from contracts.auth import AuthFamilyChangedV1, AuthStructureChangedV1
from contracts.consistency import AuthFactsDigestV1, ConsistencyCheckRequestedV1, DossierFactsDigestV1
from kit import consistency
from kit.service import APP_KEY, Service, Subscription
from services.dossier import api, demo, projections, resync, seal_names
from services.dossier.domain.crypto import Sealer
from services.dossier.domain.storage import FileSystemStorage
from services.dossier.settings import DossierSettings


async def vault(app):
    """The key that seals health data and the storage of the documents; document names stored in clear
    before migration 003 are sealed now, before anything is served."""
    settings: DossierSettings = app[APP_KEY].settings
    app[api.SEALER] = Sealer(settings.dossier_key, old_keys=settings.old_keys)
    app[api.STORAGE] = FileSystemStorage(Path(settings.documents_dir))
    await seal_names.seal_clear_names(app[APP_KEY].pool, app[api.SEALER])
    yield


def routes(app) -> None:
    api.routes(app)
    pool = lambda request: request.app[APP_KEY].pool
    consistency.owner_routes(app, pool, resync.OWNER, DossierFactsDigestV1, resync.QUERIES, resync.NAMES,
                             resync.resync)
    consistency.consumer_routes(app, pool)


service = Service(
    name="dossier",
    migrations_dir=Path(__file__).parent / "migrations",
    settings_cls=DossierSettings,
    routes=routes,
    subscriptions=[
        Subscription(AuthStructureChangedV1, projections.on_structure_changed),
        Subscription(AuthFamilyChangedV1, projections.on_family_changed),
        Subscription(ConsistencyCheckRequestedV1, resync.digest_on_request),
        Subscription(AuthFactsDigestV1, projections.check_auth),
    ],
    contexts=[vault],
    commands={"demo": demo.load},
)
service.commands["resync"] = consistency.resync_command("dossier", resync.resync, lambda: service.args)
