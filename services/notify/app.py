import asyncio
from pathlib import Path

from pydantic import Field

from contracts import BookingTransmittedV1, NotifySendV1
from kit.service import APP_KEY, Service, Subscription
from kit.settings import ServiceSettings
from services.notify import handlers
from services.notify.mailer import DeliverySender, Mailer


class NotifySettings(ServiceSettings):
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_tls: str = Field(default="none", pattern="^(none|starttls|tls)$")
    smtp_username: str | None = None
    smtp_password: str | None = None
    mail_from: str = "Portail Famille <ne-pas-repondre@portail-famille.local>"


async def delivery_sender(app):
    svc = app[APP_KEY]
    s: NotifySettings = svc.settings
    mailer = Mailer(s.smtp_host, s.smtp_port, s.smtp_tls, s.smtp_username, s.smtp_password)
    sender = DeliverySender(svc.pool, s.database_url, mailer, s.mail_from)
    task = asyncio.create_task(sender.run(), name="notify-delivery-sender")
    yield
    await sender.stop()
    await asyncio.wait_for(task, timeout=35)



service = Service(
    name="notify",
    migrations_dir=Path(__file__).parent / "migrations",
    settings_cls=NotifySettings,
    produces=False,
    subscriptions=[
        Subscription(NotifySendV1, handlers.on_notify_send),
        Subscription(BookingTransmittedV1, handlers.on_booking_transmitted),
    ],
    contexts=[delivery_sender],
)
