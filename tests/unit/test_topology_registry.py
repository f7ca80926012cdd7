"""The registry of every subscription on the bus (kit/topology.py, assembled in services/topology.py):
no broker needed."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from contracts import BookingTransmittedV1, NotifySendV1
from contracts.registry import MESSAGES
from kit import bus, topology
from kit.topology import Topology, TopologyError, topic_matches
from services.topology import DEFAULT_EXTERNAL, SERVICES, portal_topology, services_topology

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = topology.public_routing_keys(MESSAGES)


def _services():
    return [importlib.import_module(f"services.{name}.app").service for name in SERVICES]


def test_every_service_subscription_is_in_the_registry_as_the_service_declares_it():
    registry = services_topology(delivery_limit=5)
    expected = [(svc.name, sub.message) for svc in _services() for sub in svc.subscriptions]
    assert expected, "the services subscribe to something"
    assert len(registry.queues) == len(expected)
    for consumer, message in expected:
        spec = registry.queue(bus.queue_name(consumer, message))  # the names of today
        declared = bus.consumer_queue(consumer, message, 5)
        assert spec.subscriber == consumer and spec.message is message
        assert spec.name == f"{consumer}.{message.TYPE}.v{message.VERSION}"
        assert spec.arguments == declared.arguments
        assert spec.bindings == (topology.Binding(bus.exchange_name(message), message.routing_key()),)
        assert spec.dead_letter.name == bus.dead_letter_queue(consumer, message).name == f"{spec.name}.dlq"
        assert spec.dead_letter.routing_key == declared.arguments["x-dead-letter-routing-key"]
        assert spec.required and not spec.external


def test_a_service_part_is_what_it_declares_at_start():
    registry = services_topology()
    for svc in _services():
        part = registry.part(svc.name)
        assert [q.name for q in part.queues] == [bus.queue_name(svc.name, s.message) for s in svc.subscriptions]
        assert part.queues == topology.service_part(svc.name, [s.message for s in svc.subscriptions], 5).queues


def test_known_queue_names_and_receivers():
    registry = services_topology()
    assert {q.name for q in registry.receivers(bus.INTERNAL_EXCHANGE, "booking.transmitted.v1")} >= {
        "notify.booking.transmitted.v1", "billing.booking.transmitted.v1"}
    assert "notify.notify.send.v1" in {q.name for q in registry.receivers(bus.INTERNAL_EXCHANGE, "notify.send.v1")}
    # the exchange counts: the same routing key on the other exchange reaches nobody
    assert registry.receivers(bus.EVENTS_EXCHANGE, "notify.send.v1") == []


def test_delivery_limit_follows_the_setting(monkeypatch):
    monkeypatch.setenv("PORTAIL_BUS_DELIVERY_LIMIT", "7")
    monkeypatch.setenv("PORTAIL_TOPOLOGY_EXTERNAL", "")
    monkeypatch.delenv("PORTAIL_TOPOLOGY_SUBSCRIBERS", raising=False)
    registry = portal_topology()
    assert {q.arguments["x-delivery-limit"] for q in registry.queues} == {7}
    assert not any(q.external for q in registry.queues)


def test_the_external_subscribers_file_kitchen_and_treasury(monkeypatch):
    monkeypatch.delenv("PORTAIL_TOPOLOGY_EXTERNAL", raising=False)
    monkeypatch.delenv("PORTAIL_TOPOLOGY_SUBSCRIBERS", raising=False)
    registry = portal_topology()
    kitchen = registry.queue("kitchen.booking.transmitted.v2")
    assert kitchen.external and kitchen.subscriber == "kitchen" and kitchen.required
    # exactly what examples/kitchen_counter.py declares itself, or RabbitMQ would refuse one of the two
    assert kitchen.arguments == {"x-queue-type": "quorum"} and kitchen.dead_letter is None
    assert kitchen.bindings == (topology.Binding("portail.events", "booking.transmitted.v2"),)
    from examples import kitchen_counter

    assert kitchen_counter.consume.__defaults__[0] == kitchen.name
    treasury = registry.queue("treasury.billing")
    assert [b.routing_key for b in treasury.bindings] == [
        "billing.consumption_recorded.v1", "billing.invoice_issued.v1", "billing.payment_received.v1"]
    assert treasury.dead_letter.name == "treasury.billing.dlq"
    assert treasury.arguments["x-dead-letter-exchange"] == "portail.dlx"
    assert kitchen in registry.receivers("portail.events", "booking.transmitted.v2")
    assert DEFAULT_EXTERNAL == ROOT / "deploy/topology/external-subscribers.yaml"


def test_inline_subscribers_take_precedence(monkeypatch):
    monkeypatch.setenv("PORTAIL_TOPOLOGY_SUBSCRIBERS", "subscribers:\n  - {name: ecole, queue: ecole.familles, "
                                                       "routing_keys: ['auth.*.v2'], required: false}\n")
    registry = portal_topology()
    (ecole,) = [q for q in registry.queues if q.external]
    assert not ecole.required
    assert ecole in registry.receivers("portail.events", "auth.family_changed.v2")


@pytest.mark.parametrize(("item", "message"), [
    ({"name": "x", "queue": "x.q", "routing_keys": ["notify.send.v1"]}, "aucun événement public"),
    ({"name": "x", "queue": "x.q", "routing_keys": ["booking.transmitted.v2"], "exchange": "portail.internal"},
     "réservé au portail"),
    ({"name": "x", "queue": "x.q", "routing_keys": []}, "routing_keys"),
    ({"name": "x y", "queue": "x.q", "routing_keys": ["billing.#"]}, "identifiant"),
    ({"name": "x", "queue": "amq.x", "routing_keys": ["billing.#"]}, "queue"),
    ({"name": "x", "queue": "x.q", "routing_keys": ["billing.#"], "colour": "blue"}, "inconnue"),
    ({"name": "x", "queue": "x.q", "routing_keys": ["billing.#"], "required": "yes"}, "required"),
])
def test_bad_external_subscribers_are_refused_in_french(item, message):
    with pytest.raises(TopologyError, match=message):
        topology.external_subscribers({"subscribers": [item]}, PUBLIC, source="test")


def test_a_queue_registered_twice_is_refused():
    twice = {"subscribers": [{"name": "a", "queue": "same", "routing_keys": ["billing.#"]},
                             {"name": "b", "queue": "same", "routing_keys": ["auth.#"]}]}
    with pytest.raises(TopologyError, match="deux fois"):
        topology.external_subscribers(twice, PUBLIC, source="test")
    with pytest.raises(TopologyError, match="deux fois"):
        services_topology() + services_topology().part("billing")


@pytest.mark.parametrize(("pattern", "key", "expected"), [
    ("booking.transmitted.v2", "booking.transmitted.v2", True),
    ("booking.transmitted.v2", "booking.transmitted.v1", False),
    ("billing.#", "billing.invoice_issued.v1", True),
    ("billing.#", "billing", True),
    ("billing.*.v1", "billing.invoice_issued.v1", True),
    ("billing.*.v1", "billing.invoice_issued.v2", False),
    ("*.transmitted.v2", "booking.transmitted.v2", True),
    ("#", "anything.at.all", True),
    ("#.v1", "auth.structure_changed.v1", True),
    ("*", "auth.structure_changed.v1", False),
])
def test_topic_matching_is_rabbitmqs(pattern, key, expected):
    assert topic_matches(pattern, key) is expected


def test_an_empty_registry_waits_for_nothing():
    assert Topology().receivers(bus.INTERNAL_EXCHANGE, NotifySendV1.routing_key()) == []
    part = topology.service_part("billing", [BookingTransmittedV1], 3)
    assert part.queues[0].arguments["x-delivery-limit"] == 3


def test_kit_never_imports_services():
    """kit knows the portal's registry from contracts (what every image carries), not from the services:
    a relay in an image of its own still knows every queue its events must reach."""
    code = ("import sys, kit.topology, kit.outbox, kit.service, kit.bus;"
            "assert not [m for m in sys.modules if m == 'services' or m.startswith('services.')], "
            "[m for m in sys.modules if m.startswith('services')];"
            "names = [q.name for q in kit.topology.portal().queues];"
            "assert 'billing.booking.transmitted.v1' in names and 'notify.notify.send.v1' in names, names")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)
    assert {q.subscriber for q in topology.portal().queues} >= set(SERVICES)


def test_the_published_subscriptions_are_what_each_service_declares():
    """contracts/subscriptions.py is what every relay reads (no image holds the other services): it must
    say exactly what each service's app.py subscribes to."""
    import importlib

    from contracts.subscriptions import SUBSCRIPTIONS

    for name, messages in SUBSCRIPTIONS.items():
        service = importlib.import_module(f"services.{name}.app").service
        assert [s.message for s in service.subscriptions] == list(messages), name
