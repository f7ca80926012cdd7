"""The AsyncAPI document of the portal's bus, built from the code.

    uv run python -m tools.asyncapi            write contracts/asyncapi.json
    uv run python -m tools.asyncapi --check    exit 1 when contracts/asyncapi.json is stale

The document is deterministic (no timestamps, sorted keys), so regenerating it from unchanged code
gives byte-identical output and a stale committed copy shows up as a diff.

Publishers come from `contracts.registry.MESSAGES` (one per message, on its exchange); subscribers
come from each service's `service.subscriptions`, declared with `kit.bus.subscribe` exactly as the
services do at run time, on a broker that is never connected.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

from faststream import AsyncAPI
from faststream.rabbit import RabbitBroker

from contracts.envelope import INTERNAL, Envelope, Message
from contracts.registry import MESSAGES

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "contracts" / "asyncapi.json"

# The services whose subscriptions the document shows (services/<name>/app.py defines `service`).
SERVICES = ("auth", "booking", "dossier", "notify", "billing")

TITLE = "Portail Famille — bus d'événements"
DESCRIPTION = """\
The message bus of Portail Famille (RabbitMQ, AMQP 0.9.1).

**Envelope.** Every message is a JSON envelope: `event_id` (UUID, unique per event), `type` \
(e.g. `booking.transmitted`), `version` (major version), `occurred_at` (UTC), `producer` (the \
service that wrote it), `correlation_id` (ties together what one request caused), `trace_context` \
(W3C traceparent/tracestate) and the typed `payload`. Unknown fields are refused, in the envelope \
and in payloads.

**Routing key** = `<type>.v<major>`, e.g. `booking.transmitted.v1`. A breaking change is a new \
major version, published under a new routing key next to the old one until every consumer has \
moved.

**Exchanges.** `portail.events` (topic) carries public events: other municipal systems may bind \
their own queues to it. `portail.internal` (topic) carries commands and private events (secrets, \
personal detail): it is reserved to the portal's own services.

**Delivery is at least once.** Producers write events to a transactional outbox that a relay \
publishes as persistent messages with publisher confirms, so an event may be delivered more than \
once. Consumers must deduplicate by `event_id`: the portal's services record it in an inbox table \
in the same transaction as the effect.

**Queues.** Each consumer owns one durable quorum queue per message, named \
`<consumer>.<type>.v<major>`, with a bounded delivery count (`x-delivery-limit`). A message that \
is invalid, or still failing once the limit is reached, is dead-lettered through `portail.dlx` to \
`<queue>.dlq`.
"""

PUBLIC_NOTE = ("Public exchange portail.events: other municipal systems may bind their own queues "
               "to this routing key.")
INTERNAL_NOTE = "Internal exchange portail.internal: reserved to the portal's own services."
SERVER_URL = "amqp://localhost:5672/"
SERVER_DESCRIPTION = ("The portal's RabbitMQ broker. The address shown is the local development default; "
                      "each deployment sets its own in PORTAIL_AMQP_URL.")


def project_version() -> str:
    """The version in pyproject.toml (the installed distribution's metadata may be stale)."""
    pyproject = ROOT / "pyproject.toml"
    if pyproject.is_file():
        return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
    from importlib.metadata import version

    return version("portail-famille")


def exchange_note(message: type[Message]) -> str:
    return INTERNAL_NOTE if message.EXCHANGE == INTERNAL else PUBLIC_NOTE


def _subscriptions() -> list[tuple[str, type[Message], Any]]:
    found = []
    for name in SERVICES:
        service = importlib.import_module(f"services.{name}.app").service
        for sub in service.subscriptions:
            found.append((service.name, sub.message, sub.effect))
    return sorted(found, key=lambda s: (s[0], s[1].routing_key()))


def build_broker() -> tuple[RabbitBroker, list[tuple[str, type[Message]]]]:
    """A broker that is never connected, carrying the portal's publishers and subscribers.

    Returns it with the (consumer, message) pairs subscribed."""
    from kit import bus

    broker = RabbitBroker(SERVER_URL, specification_url=SERVER_URL, description=SERVER_DESCRIPTION,
                          logger=None)
    for message in sorted(MESSAGES, key=lambda m: m.routing_key()):
        key = message.routing_key()
        broker.publisher(
            key,
            bus.EXCHANGES[bus.exchange_name(message)],
            persist=True,  # the outbox relay publishes persistent messages
            schema=Envelope[message],  # type: ignore[valid-type]
            title=key,
            description=f"{message.DESCRIPTION} {exchange_note(message)}".strip(),
        )
    pairs = []
    for consumer, message, effect in _subscriptions():
        bus.subscribe(broker, consumer=consumer, message=message, effect=effect, pool=lambda: None)
        pairs.append((consumer, message))
    return broker, pairs


def _envelope_ref(message: type[Message]) -> str:
    return f"#/components/schemas/Envelope%5B{message.__name__}%5D"


def _message_examples(message: type[Message]) -> list[dict[str, Any]]:
    schema = Envelope[message].model_json_schema()  # type: ignore[valid-type]
    return [{"name": f"{message.__name__}Example{i}" if i else f"{message.__name__}Example",
             "summary": f"An example {message.routing_key()} envelope.",
             "payload": example}
            for i, example in enumerate(schema.get("examples", []))]


def build_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document, as a JSON-compatible dict."""
    from kit import bus

    broker, pairs = build_broker()
    spec = AsyncAPI(broker, title=TITLE, version=project_version(), description=DESCRIPTION)
    doc: dict[str, Any] = json.loads(spec.to_specification().to_json())
    channels = doc.get("channels", {})
    components = doc.setdefault("components", {})
    messages = components.setdefault("messages", {})
    schemas = components.setdefault("schemas", {})

    # Publishers: attach the example envelopes to each message.
    for message in MESSAGES:
        for ref in channels.get(message.routing_key(), {}).get("messages", {}).values():
            name = ref["$ref"].rsplit("/", 1)[-1]
            messages[name]["examples"] = _message_examples(message)

    # Subscribers: FastStream only sees the handler's `body: dict`; point their messages at the
    # envelope schema, and say which exchange the queue is bound to and where failures go.
    for consumer, message in pairs:
        queue = bus.queue_name(consumer, message)
        channel = channels[queue]
        exchange = bus.exchange_name(message)
        channel["description"] = (
            f"{consumer} consumes {message.routing_key()}: quorum queue {queue}, bound to {exchange} "
            f"with routing key {message.routing_key()}; dead-lettered through {bus.DEAD_LETTER_EXCHANGE} "
            f"to {queue}.dlq. {message.DESCRIPTION}"
        )
        for ref in channel.get("messages", {}).values():
            name = ref["$ref"].rsplit("/", 1)[-1]
            old = messages[name]["payload"].get("$ref", "").rsplit("/", 1)[-1]
            schemas.pop(old, None)
            messages[name]["payload"] = {"$ref": _envelope_ref(message)}
            messages[name]["examples"] = _message_examples(message)
    return doc


def render() -> str:
    """The document as written to contracts/asyncapi.json: pretty, sorted keys, trailing newline."""
    return json.dumps(build_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.asyncapi", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the file differs from what the code generates")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"default: {OUTPUT.relative_to(ROOT)}")
    args = parser.parse_args(argv)

    text = render()
    target: Path = args.output
    try:
        shown = target.resolve().relative_to(ROOT)
    except ValueError:
        shown = target
    if args.check:
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current == text:
            print(f"{shown} is up to date.")
            return 0
        if current is None:
            print(f"{shown} is missing.", file=sys.stderr)
        else:
            diff = list(difflib.unified_diff(current.splitlines(), text.splitlines(),
                                             f"{shown} (committed)", f"{shown} (generated)", lineterm=""))
            print(f"{shown} is stale: it differs from what the code generates.", file=sys.stderr)
            print("\n".join(diff[:60]) + ("\n[...]" if len(diff) > 60 else ""), file=sys.stderr)
        print("Regenerate it with: uv run python -m tools.asyncapi", file=sys.stderr)
        return 1
    target.write_text(text, encoding="utf-8")
    print(f"wrote {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
