from pathlib import Path

from contracts import BookingTransmittedV1
from kit.service import Service, Subscription
from services.billing import handlers

service = Service(
    name="billing",
    migrations_dir=Path(__file__).parent / "migrations",
    subscriptions=[Subscription(BookingTransmittedV1, handlers.on_booking_transmitted)],
)
