"""The registry of every subscription on the bus, and what declares and checks it on RabbitMQ.

A `Topology` lists, for each subscriber (a service of the portal, or another municipal system declared
in configuration), each queue it owns: its name, its bindings (exchange and routing key, topic
wildcards allowed for external subscribers), its arguments and its dead-letter queue. It is the one
definition used by

- the topology step (`python -m services.topology declare`), which declares all of it before any
  service publishes (`make run`, the Kubernetes Job `bus-topology`);
- each service at start, which declares its own part again (`Topology.part`);
- each outbox relay, which does not publish an event until every queue registered for its routing key
  exists (`check`), and verifies again after the broker confirmed it (docs/adr/0006).

The portal's part comes from `contracts/subscriptions.py` (data every image carries, kept equal to the
services' declarations by a test), the external subscribers from configuration: kit imports no service,
and a service's relay in an image of its own still knows every queue its events must reach.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.envelope import PUBLIC, Message

# kit.bus (FastStream) and aio-pika are imported where used: the gateway, which never touches the bus,
# stays light.

# -- the registry -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Binding:
    exchange: str
    routing_key: str  # an exact key, or a topic pattern (`*` one word, `#` zero or more)

    def matches(self, exchange: str, routing_key: str) -> bool:
        return exchange == self.exchange and topic_matches(self.routing_key, routing_key)


@dataclass(frozen=True)
class DeadLetter:
    name: str
    routing_key: str  # on portail.dlx
    arguments: dict[str, Any] = field(default_factory=lambda: {"x-queue-type": "quorum"}, compare=False)


@dataclass(frozen=True)
class Partition:
    """One partition of a partitioned subscription (docs/adr/0009): the queue is bound, on the events'
    exchange, to the partition keys (`p<slot>.<routing key>`) of the slots s with s % count == index."""

    index: int
    count: int

    def slots(self) -> list[int]:
        from kit import bus

        return [s for s in range(bus.SLOTS) if s % self.count == self.index]


@dataclass(frozen=True)
class QueueSpec:
    """One queue of one subscriber, as it must exist on the broker."""

    subscriber: str
    name: str
    bindings: tuple[Binding, ...]
    arguments: dict[str, Any] = field(compare=False)
    dead_letter: DeadLetter | None = None
    message: type[Message] | None = None  # the contract consumed, for the portal's own subscriptions
    external: bool = False
    # True: the relays hold an event until this queue exists (nothing is lost for it). False: the
    # event goes to the other subscribers and the missing queue raises the alarm only.
    required: bool = True
    description: str = ""
    partition: Partition | None = None  # a partition of a partitioned subscription

    def receives(self, exchange: str, routing_key: str) -> bool:
        return any(b.matches(exchange, routing_key) for b in self.bindings)


@dataclass(frozen=True)
class Topology:
    queues: tuple[QueueSpec, ...] = ()

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for q in self.queues:
            names = [q.name] + ([q.dead_letter.name] if q.dead_letter else [])
            for name in names:
                if name in seen:
                    raise TopologyError(f"la file « {name} » est déclarée deux fois "
                                        f"(abonnés « {seen[name]} » et « {q.subscriber} »)")
                seen[name] = q.subscriber

    def __add__(self, other: Topology) -> Topology:
        return Topology(self.queues + other.queues)

    @property
    def subscribers(self) -> list[str]:
        return list(dict.fromkeys(q.subscriber for q in self.queues))

    def part(self, subscriber: str) -> Topology:
        """What one subscriber owns (what a service declares again at start)."""
        return Topology(tuple(q for q in self.queues if q.subscriber == subscriber))

    def queue(self, name: str) -> QueueSpec:
        for q in self.queues:
            if q.name == name:
                return q
        raise KeyError(name)

    def receivers(self, exchange: str, routing_key: str) -> list[QueueSpec]:
        """Every registered queue an event published with this routing key must reach."""
        return [q for q in self.queues if q.receives(exchange, routing_key)]


class TopologyError(ValueError):
    """A registry that cannot be right (duplicate queue, bad external subscriber): a French message."""


_WORD = re.compile(r"^[A-Za-z0-9_\-]+$")


def topic_matches(pattern: str, routing_key: str) -> bool:
    """RabbitMQ's topic matching: words separated by dots, `*` exactly one word, `#` zero or more."""
    def match(p: list[str], k: list[str]) -> bool:
        if not p:
            return not k
        head, rest = p[0], p[1:]
        if head == "#":
            return any(match(rest, k[i:]) for i in range(len(k) + 1))
        if not k:
            return False
        return (head == "*" or head == k[0]) and match(rest, k[1:])

    return match(pattern.split("."), routing_key.split("."))


def subscription(consumer: str, message: type[Message], delivery_limit: int) -> QueueSpec:
    """A service's subscription, exactly as `kit.bus` declares it (the same function builds both)."""
    return subscription_queues(consumer, message, delivery_limit)[0]


def subscription_queues(consumer: str, message: type[Message], delivery_limit: int,
                        partitions: int = 1) -> list[QueueSpec]:
    """A subscription's queue, or its `partitions` partition queues (the first one carries the dead-letter
    queue they share)."""
    from kit import bus

    dlq = bus.dead_letter_queue(consumer, message)
    binding = (Binding(bus.exchange_name(message), message.routing_key()),)
    dead_letter = DeadLetter(dlq.name, dlq.routing_key or bus.queue_name(consumer, message), dict(dlq.arguments or {}))
    if partitions <= 1:
        queue = bus.consumer_queue(consumer, message, delivery_limit)
        return [QueueSpec(subscriber=consumer, name=queue.name, bindings=binding, arguments=dict(queue.arguments or {}),
                          dead_letter=dead_letter, message=message, description=message.DESCRIPTION)]
    specs = []
    for k in range(partitions):
        queue = bus.consumer_queue(consumer, message, delivery_limit, partition=k)
        specs.append(QueueSpec(
            subscriber=consumer, name=queue.name, bindings=binding, arguments=dict(queue.arguments or {}),
            dead_letter=dead_letter if k == 0 else None, message=message,
            description=f"{message.DESCRIPTION} (partition {k + 1}/{partitions})",
            partition=Partition(k, partitions)))
    return specs


def service_part(name: str, messages: Iterable[type[Message]], delivery_limit: int,
                 partitions: Mapping[str, int] | None = None) -> Topology:
    """`partitions`: the partitioned subscriptions, {queue name (`<service>.<event>`): how many}."""
    from kit import bus

    wanted = partitions or {}
    return Topology(tuple(q for m in messages
                          for q in subscription_queues(name, m, delivery_limit, wanted.get(bus.queue_name(name, m), 1))))


def parse_partitions(text: str | None) -> dict[str, int]:
    """PORTAIL_BUS_PARTITIONS: `billing.booking.transmitted.v1=4,notify.booking.transmitted.v1=2` (a
    subscription's queue name and its number of partitions, 1 to SLOTS)."""
    from kit import bus

    result: dict[str, int] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, _, count = item.partition("=")
        if not _WORD_DOTS.match(name.strip()) or not count.strip().isdigit() or not 1 <= int(count) <= bus.SLOTS:
            raise TopologyError(f"PORTAIL_BUS_PARTITIONS : « {item.strip()} » n'est pas « file=nombre » "
                                f"(nombre de 1 à {bus.SLOTS})")
        result[name.strip()] = int(count)
    return result


_WORD_DOTS = re.compile(r"^[A-Za-z0-9_\-.]+$")


# -- external subscribers, from configuration -----------------------------------------------------------

_EXTERNAL_KEYS = {"name", "queue", "routing_keys", "exchange", "arguments", "dead_letter", "required",
                  "description"}


def external_subscribers(data: Any, public_keys: Iterable[str], *, source: str = "configuration") -> Topology:
    """Other municipal systems' queues, from the parsed YAML/JSON file (see
    deploy/topology/external-subscribers.yaml). They may bind to the public exchange only, to routing
    keys that a public contract has (a wildcard must match at least one)."""
    from kit import bus

    public = list(public_keys)
    if data is None:
        return Topology()
    items = data.get("subscribers") if isinstance(data, dict) else None
    if items is None:
        raise TopologyError(f"{source} : la clé « subscribers » (une liste) est attendue")
    if not isinstance(items, list):
        raise TopologyError(f"{source} : « subscribers » doit être une liste")
    queues = []
    for i, item in enumerate(items, 1):
        where = f"{source}, abonné n° {i}"
        if not isinstance(item, dict):
            raise TopologyError(f"{where} : un objet est attendu")
        unknown = set(item) - _EXTERNAL_KEYS
        if unknown:
            raise TopologyError(f"{where} : clé(s) inconnue(s) : {', '.join(sorted(unknown))}")
        name, queue = item.get("name"), item.get("queue")
        if not isinstance(name, str) or not _WORD.match(name):
            raise TopologyError(f"{where} : « name » est un identifiant (lettres, chiffres, - et _)")
        where = f"{source}, abonné « {name} »"
        if not isinstance(queue, str) or not queue or queue.startswith("amq.") or len(queue) > 255:
            raise TopologyError(f"{where} : « queue » est le nom de sa file (pas « amq.… »)")
        exchange = item.get("exchange", bus.EVENTS_EXCHANGE)
        if exchange != bus.EVENTS_EXCHANGE:
            raise TopologyError(f"{where} : un système externe ne se lie qu'à « {bus.EVENTS_EXCHANGE} » "
                                f"(« {exchange} » est réservé au portail)")
        keys = item.get("routing_keys")
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
            raise TopologyError(f"{where} : « routing_keys » est une liste non vide de clés de routage")
        for key in keys:
            if not any(topic_matches(key, k) for k in public):
                raise TopologyError(f"{where} : la clé « {key} » ne correspond à aucun événement public "
                                    "(voir contracts/asyncapi.json)")
        arguments = item.get("arguments", {"x-queue-type": "quorum"})
        if not isinstance(arguments, dict):
            raise TopologyError(f"{where} : « arguments » est un objet (ex. x-queue-type: quorum)")
        arguments = dict(arguments)
        dead_letter = None
        if item.get("dead_letter", False):
            arguments.setdefault("x-dead-letter-exchange", bus.DEAD_LETTER_EXCHANGE)
            arguments.setdefault("x-dead-letter-routing-key", queue)
            dead_letter = DeadLetter(f"{queue}.dlq", arguments["x-dead-letter-routing-key"])
        required = item.get("required", True)
        if not isinstance(required, bool):
            raise TopologyError(f"{where} : « required » vaut true ou false")
        queues.append(QueueSpec(
            subscriber=name, name=queue, bindings=tuple(Binding(exchange, k) for k in keys),
            arguments=arguments, dead_letter=dead_letter, external=True, required=required,
            description=str(item.get("description", "")),
        ))
    return Topology(tuple(queues))


def parse_external(text: str, public_keys: Iterable[str], *, source: str) -> Topology:
    """The external subscribers of a YAML (or JSON, a subset of YAML) document."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TopologyError(f"{source} : YAML invalide ({exc})") from exc
    return external_subscribers(data, public_keys, source=source)


def load_external(path: Path, public_keys: Iterable[str]) -> Topology:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TopologyError(f"{path} : lecture impossible ({exc.strerror or exc})") from exc
    return parse_external(text, public_keys, source=str(path))


def public_routing_keys(messages: Iterable[type[Message]]) -> list[str]:
    return [m.routing_key() for m in messages if m.EXCHANGE == PUBLIC]


# -- the portal's registry: the services' subscriptions (contracts) and the configured external ones ------

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_EXTERNAL = ROOT / "deploy" / "topology" / "external-subscribers.yaml"
DEFAULT_DELIVERY_LIMIT = 5


class TopologySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAIL_", extra="ignore")

    amqp_url: str | None = Field(default=None, min_length=1)
    bus_delivery_limit: int = Field(default=DEFAULT_DELIVERY_LIMIT, ge=1, le=100)
    topology_external: str | None = None
    topology_subscribers: str | None = None
    bus_partitions: str = ""  # the partitioned subscriptions (parse_partitions), the same for every process


def services_topology(delivery_limit: int = DEFAULT_DELIVERY_LIMIT,
                      partitions: Mapping[str, int] | None = None) -> Topology:
    """Every service's subscriptions (contracts/subscriptions.py), partitioned as `partitions` says."""
    from contracts.subscriptions import SUBSCRIPTIONS

    result = Topology()
    for name, messages in SUBSCRIPTIONS.items():
        result += service_part(name, messages, delivery_limit, partitions)
    return result


def external_file(setting: str | None) -> Path | None:
    """The configured file; by default the repository's one when it exists; "" for none."""
    if setting is not None:
        return Path(setting) if setting.strip() else None
    return DEFAULT_EXTERNAL if DEFAULT_EXTERNAL.is_file() else None


def _public_keys() -> list[str]:
    from contracts.registry import MESSAGES

    return public_routing_keys(MESSAGES)


def external_topology(path: Path | None) -> Topology:
    return load_external(path, _public_keys()) if path is not None else Topology()


def configured_externals(settings: TopologySettings, file: str | None = None) -> tuple[Topology, str]:
    """The external subscribers and where they come from: `--external FILE`, else the inline
    PORTAIL_TOPOLOGY_SUBSCRIBERS, else the file of PORTAIL_TOPOLOGY_EXTERNAL or the default one."""
    if file is None and settings.topology_subscribers is not None:
        source = "PORTAIL_TOPOLOGY_SUBSCRIBERS"
        return parse_external(settings.topology_subscribers, _public_keys(), source=source), source
    path = external_file(file if file is not None else settings.topology_external)
    return external_topology(path), str(path) if path else "aucun"


def portal_topology(delivery_limit: int | None = None) -> Topology:
    """The whole registry, as the environment says: the services', then the external subscribers'
    (what the topology step declares and what a service's relay loads)."""
    settings = TopologySettings()
    limit = delivery_limit if delivery_limit is not None else settings.bus_delivery_limit
    return services_topology(limit, parse_partitions(settings.bus_partitions)) + configured_externals(settings)[0]


def portal() -> Topology:
    """The portal's registry, as every outbox relay knows it."""
    return portal_topology()


# -- on the broker: kit/topology_broker.py ------------------------------------------------------------------
from kit.topology_broker import Checker, bind_partition, check, declare

__all__ = ["Binding", "Checker", "DeadLetter", "Partition", "QueueSpec", "Topology", "TopologyError",
           "bind_partition", "check", "declare"]
