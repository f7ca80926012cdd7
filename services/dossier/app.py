"""The declaration of the dossier service: its migrations, its routes (http.py and the consistency check's),
its subscriptions (events.py), the vault opened at start-up and its commands (demo, resync)."""

from pathlib import Path

from kit import consistency
from kit.service import APP_KEY, Service, pool_of
from services.dossier import campaign_http, certificate_http, closing_http, demo, events, family_http, http
from services.dossier.domain.crypto import Sealer
from services.dossier.domain.storage import FileSystemStorage
from services.dossier.service import OUTBOX, Vault, closing, maintenance
from services.dossier.settings import DossierSettings
from services.dossier.store import Store


async def vault(app):
    """The key that seals health data and the storage of the documents; document names stored in clear
    before migration 003 are sealed now, before anything is served."""
    settings: DossierSettings = app[APP_KEY].settings
    app[http.VAULT] = Vault(Sealer(settings.dossier_key, old_keys=settings.old_keys),
                            FileSystemStorage(Path(settings.documents_dir)))
    await maintenance.seal_clear_names(app[APP_KEY].pool, app[http.VAULT].sealer)
    yield


async def remind(settings: DossierSettings, pool) -> None:
    """`python -m services.dossier reminders`: remind the families whose dossier is incomplete in the days
    before the campaign closes (a CronJob on Kubernetes; notify mails each once)."""
    report = await closing.run(Store(pool, None), OUTBOX, settings.reminder_days_before)
    print(f"Rappels de clôture ({report.school_year or 'aucune campagne'}) : {report.reminders} famille(s).")


def routes(app) -> None:
    http.routes(app)
    campaign_http.routes(app)
    family_http.routes(app)
    certificate_http.routes(app)  # medical certificates of declared absences (issue 19)
    closing_http.routes(app)  # the campaign's closing day (issue 19)
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
service.commands["reminders"] = remind  # issue 19: the reminder before the campaign closes
service.commands["demo-history"] = demo.load_history  # issue 16: the other demo families at their dossier states
service.commands["resync"] = consistency.resync_command("dossier", events.resync, lambda: service.args)
