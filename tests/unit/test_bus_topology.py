"""The RabbitMQ topology the services declare (no broker needed)."""

from contracts import BookingTransmittedV1, NotifySendV1
from contracts.booking import BookingTransmittedV2
from kit import bus


def test_consumer_queue_is_a_bounded_quorum_queue():
    queue = bus.consumer_queue("billing", BookingTransmittedV1, delivery_limit=5)
    assert queue.name == "billing.booking.transmitted.v1"
    assert queue.routing_key == "booking.transmitted.v1"
    assert queue.durable
    assert queue.arguments == {
        "x-queue-type": "quorum",
        "x-delivery-limit": 5,
        "x-dead-letter-exchange": "portail.dlx",
        "x-dead-letter-routing-key": "billing.booking.transmitted.v1",
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",  # required by at-least-once dead-lettering
        "x-single-active-consumer": True,  # several replicas never reorder a queue's events
    }


def test_delivery_limit_is_the_one_given():
    assert bus.consumer_queue("notify", NotifySendV1, delivery_limit=3).arguments["x-delivery-limit"] == 3


def test_dead_letter_queue():
    dlq = bus.dead_letter_queue("notify", NotifySendV1)
    assert dlq.name == "notify.notify.send.v1.dlq"
    assert dlq.routing_key == "notify.notify.send.v1"  # the dead-letter routing key of the queue
    assert dlq.arguments["x-queue-type"] == "quorum"
    assert dlq.routing_key == bus.consumer_queue("notify", NotifySendV1, 5).arguments["x-dead-letter-routing-key"]


def test_queue_names_say_who_consumes_what():
    assert bus.queue_name("notify", BookingTransmittedV1) == "notify.booking.transmitted.v1"
    assert bus.queue_name("notify", NotifySendV1) == "notify.notify.send.v1"


def test_exchanges():
    assert bus.exchange_name(NotifySendV1) == bus.INTERNAL_EXCHANGE == "portail.internal"
    assert bus.exchange_name(BookingTransmittedV2) == bus.EVENTS_EXCHANGE == "portail.events"
    assert bus.exchange_name(BookingTransmittedV1) == bus.INTERNAL_EXCHANGE  # names the children: private
    assert bus.EXCHANGES["portail.events"].type.value == "topic"
    assert bus.EXCHANGES["portail.internal"].type.value == "topic"
    assert bus.EXCHANGES["portail.dlx"].type.value == "direct"
    assert all(exchange.durable for exchange in bus.EXCHANGES.values())
