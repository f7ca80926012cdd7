from pathlib import Path

from contracts.auth import AuthFamilyChangedV1, AuthStructureChangedV1
from kit.service import APP_KEY, Service, Subscription
from services.dossier import api, demo, projections, seal_names
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


service = Service(
    name="dossier",
    migrations_dir=Path(__file__).parent / "migrations",
    settings_cls=DossierSettings,
    routes=api.routes,
    subscriptions=[
        Subscription(AuthStructureChangedV1, projections.on_structure_changed),
        Subscription(AuthFamilyChangedV1, projections.on_family_changed),
    ],
    contexts=[vault],
    commands={"demo": demo.load},
)
