"""The declaration of the dossier service: its migrations, its routes (http.py and the consistency check's),
its subscriptions (events.py), the vault opened at start-up and its commands (demo, resync)."""

from pathlib import Path

from kit import consistency
from kit.service import APP_KEY, Service, pool_of
from services.dossier import campaign_http, demo, events, family_http, http
from services.dossier.domain.crypto import Sealer
from services.dossier.domain.storage import FileSystemStorage
from services.dossier.service import Vault, maintenance
from services.dossier.settings import DossierSettings


async def vault(app):
    """The key that seals health data and the storage of the documents; document names stored in clear
    before migration 003 are sealed now, before anything is served."""
    settings: DossierSettings = app[APP_KEY].settings
    app[http.VAULT] = Vault(Sealer(settings.dossier_key, old_keys=settings.old_keys),
                            FileSystemStorage(Path(settings.documents_dir)))
    await maintenance.seal_clear_names(app[APP_KEY].pool, app[http.VAULT].sealer)
    yield


def routes(app) -> None:
    http.routes(app)
    campaign_http.routes(app)
    family_http.routes(app)
    consistency.owner_routes(app, pool_of, events.OWNER, events.DossierFactsDigestV1, events.facts.OWNED_FACTS,
                             events.facts.STRUCTURE_NAMES, events.resync)
    consistency.consumer_routes(app, pool_of)


service = Service(
    name="dossier",
    migrations_dir=Path(__file__).parent / "migrations",
    settings_cls=DossierSettings,
    routes=routes,
    subscriptions=events.SUBSCRIPTIONS,
    contexts=[vault],
    commands={"demo": demo.load},
)
service.commands["resync"] = consistency.resync_command("dossier", events.resync, lambda: service.args)
