import asyncio
from pathlib import Path

from contracts import BookingTransmittedV1, NotifySendV1
from contracts.auth import AuthFamilyContactsV1
from contracts.billing import BillingPaymentReceivedV1
from contracts.booking import BookingWaitlistPromotedV1
from contracts.consistency import AuthFactsDigestV1
from contracts.dossier import DossierSheetReviewedV1
from kit import consistency
from kit.service import APP_KEY, Service, Subscription
from services.notify import api, digests, handlers
from services.notify.mailer import DeliverySender, Mailer
from services.notify.settings import NotifySettings, remember_public_url


async def delivery_sender(app):
    svc = app[APP_KEY]
    s: NotifySettings = svc.settings
    remember_public_url(s.public_url)
    mailer = Mailer(s.smtp_host, s.smtp_port, s.smtp_tls, s.smtp_username, s.smtp_password, s.smtp_timeout_seconds)
    sender = DeliverySender(svc.pool, s.database_url, mailer, s.mail_from, s.delivery_poll_seconds, s.retry_delays)
    task = asyncio.create_task(sender.run(), name="notify-delivery-sender")
    yield
    await sender.stop()
    await asyncio.wait_for(task, timeout=s.smtp_timeout_seconds + 5)


async def digest_scheduler(app):
    svc = app[APP_KEY]
    s: NotifySettings = svc.settings
    stopping = asyncio.Event()
    # A digest run a crash interrupted (here, or in a CronJob's pod) is taken over at start, then checked
    # for every minute, whether or not this process schedules the runs itself.
    tasks = [asyncio.create_task(digests.resumer(svc.pool, s.public_url, stopping), name="notify-digest-resumer")]
    if s.digest_scheduler:
        tasks.append(asyncio.create_task(digests.scheduler(svc.pool, s.public_url, s.digest_hour, stopping),
                                         name="notify-digest-scheduler"))
    yield
    stopping.set()
    await asyncio.gather(*tasks)


async def digest_command(settings: NotifySettings, pool) -> None:
    """`python -m services.notify digest`: the morning digest now (a CronJob on Kubernetes). A run a crash
    interrupted is finished first."""
    for resumed in await digests.resume_interrupted(pool, settings.public_url):
        print(f"Compte-rendu interrompu {resumed.run_id} repris : {resumed.mails} courriels pour "
              f"{resumed.families} familles.")
    report = await digests.run(pool, settings.public_url)
    print(f"Compte-rendu : {report.mails} courriels pour {report.families} familles "
          f"({report.waiting} en attente d'adresse).")


def routes(app) -> None:
    api.routes(app)
    consistency.consumer_routes(app, lambda request: request.app[APP_KEY].pool)


service = Service(
    name="notify",
    migrations_dir=Path(__file__).parent / "migrations",
    settings_cls=NotifySettings,
    routes=routes,
    subscriptions=[
        Subscription(NotifySendV1, handlers.on_notify_send),
        Subscription(AuthFamilyContactsV1, handlers.on_family_contacts),
        Subscription(BookingTransmittedV1, handlers.on_booking_transmitted),
        Subscription(BookingWaitlistPromotedV1, handlers.on_waitlist_promoted),
        Subscription(DossierSheetReviewedV1, handlers.on_sheet_reviewed),
        Subscription(BillingPaymentReceivedV1, handlers.on_payment_received),
        Subscription(AuthFactsDigestV1, handlers.check_auth),
    ],
    contexts=[delivery_sender, digest_scheduler],
    commands={"digest": digest_command},
)
