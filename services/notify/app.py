"""notify's declaration: its migrations, internal routes, subscriptions, the background work (the sender,
the digest scheduler and the resumer of interrupted runs) and the `digest` command."""

import asyncio
from pathlib import Path

from kit import consistency
from kit.service import APP_KEY, Service, pool_of
from services.notify import events, http, reminder_events, reminders_http, resends_http, status_http
from services.notify.mailer import Mailer
from services.notify.service import digest_runs
from services.notify.service.sending import DeliverySender
from services.notify.settings import NotifySettings
from services.notify.store import Store


async def delivery_sender(app):
    svc = app[APP_KEY]
    s: NotifySettings = svc.settings
    mailer = Mailer(s.smtp_host, s.smtp_port, s.smtp_tls, s.smtp_username, s.smtp_password, s.smtp_timeout_seconds)
    sender = DeliverySender(svc.pool, s.database_url, mailer, s.mail_from, s.delivery_poll_seconds, s.retry_delays,
                            sessions=s.smtp_sessions, rate_per_second=s.smtp_rate_per_second)
    task = asyncio.create_task(sender.run(), name="notify-delivery-sender")
    yield
    await sender.stop()
    await asyncio.wait_for(task, timeout=s.smtp_timeout_seconds + 5)


async def digest_scheduler(app):
    svc = app[APP_KEY]
    s: NotifySettings = svc.settings
    store = Store(svc.pool)
    stopping = asyncio.Event()
    # A digest run a crash interrupted (here, or in a CronJob's pod) is taken over at start, then checked
    # for every minute, whether or not this process schedules the runs itself.
    tasks = [asyncio.create_task(digest_runs.resumer(store, s.public_url, stopping), name="notify-digest-resumer")]
    if s.digest_scheduler:
        tasks.append(asyncio.create_task(digest_runs.scheduler(store, s.public_url, s.digest_hour, stopping),
                                         name="notify-digest-scheduler"))
    yield
    stopping.set()
    await asyncio.gather(*tasks)


async def digest_command(settings: NotifySettings, pool) -> None:
    """`python -m services.notify digest`: the morning digest now (a CronJob on Kubernetes). A run a crash
    interrupted is finished first."""
    store = Store(pool)
    for resumed in await digest_runs.resume_interrupted(store, settings.public_url):
        print(f"Compte-rendu interrompu {resumed.run_id} repris : {resumed.mails} courriels pour "
              f"{resumed.families} familles.")
    report = await digest_runs.run(store, settings.public_url)
    print(f"Compte-rendu : {report.mails} courriels pour {report.families} familles "
          f"({report.waiting} en attente d'adresse).")


def routes(app) -> None:
    http.routes(app)
    status_http.routes(app)
    resends_http.routes(app)
    reminders_http.routes(app)  # the automatic reminders' preference (issue 19)
    consistency.consumer_routes(app, pool_of)


service = Service(
    name="notify",
    migrations_dir=Path(__file__).parent / "migrations",
    settings_cls=NotifySettings,
    routes=routes,
    subscriptions=events.subscriptions(lambda: service.settings)
    + reminder_events.subscriptions(lambda: service.settings),
    contexts=[delivery_sender, digest_scheduler],
    commands={"digest": digest_command},
)
