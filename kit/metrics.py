"""Prometheus metrics shared by every process: HTTP latency and errors per route, events published
and consumed per type, outbox backlog, dead letters, mails, bookings. Served at /metrics."""

from __future__ import annotations

import time

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

HTTP_REQUESTS = Counter("portail_http_requests_total", "HTTP requests answered",
                        ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram("portail_http_request_duration_seconds", "HTTP request duration",
                         ["service", "method", "route"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
EVENTS_PUBLISHED = Counter("portail_events_published_total", "Events published by the outbox relay",
                           ["service", "type"])
EVENTS_CONSUMED = Counter("portail_events_consumed_total", "Events handled by a consumer",
                          ["service", "type", "result"])  # applied | duplicate | failed | rejected
# Topology before traffic (docs/adr/0006): a mandatory publish the broker returned (routed to no queue),
# held in the outbox or, when no subscriber is registered for it, let go;
OUTBOX_RETURNED = Counter("portail_outbox_returned_total", "Mandatory publishes returned by the broker as unroutable",
                          ["service", "type", "action"])  # held | no_subscriber
# registered queues the relay waits for before publishing (0: the topology it knows of is in place);
OUTBOX_TOPOLOGY_MISSING = Gauge("portail_outbox_topology_missing_queues",
                                "Registered subscriber queues missing: the relay holds their events", ["service"])
# the alarm: a registered queue found gone right after a publish (the event reached only the others).
SUBSCRIBER_MISSING = Counter("portail_bus_subscriber_missing_total",
                             "Registered subscriber queue found missing after a publish (partial delivery)",
                             ["service", "queue"])
# Batched consumers (docs/adr/0009): the end-to-end lag of each applied event, from its outbox row
# (the envelope's occurred_at, written in the producer's transaction) to the commit of its effect;
BUS_LAG = Histogram("portail_bus_lag_seconds", "From an event's outbox row to its effect committed by a consumer",
                    ["service", "subscription"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))
# the size of the batches committed, and the batches that failed and were applied again one by one.
BUS_BATCH_SIZE = Histogram("portail_bus_batch_size", "Events per consumer transaction", ["service", "subscription"],
                           buckets=(1, 2, 5, 10, 25, 50, 100, 200, 500))
BUS_BATCH_SPLIT = Counter("portail_bus_batch_split_total", "Batches that failed and were retried one event at a time",
                          ["service", "subscription"])
OUTBOX_BACKLOG = Gauge("portail_outbox_backlog", "Events written but not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge("portail_outbox_oldest_age_seconds", "Age of the oldest unpublished event", ["service"])
DEAD_LETTERS = Gauge("portail_dead_letter_messages", "Messages waiting in a dead-letter queue", ["service", "queue"])
MAILS = Counter("portail_mails_total", "Mails handed to SMTP or given up", ["result"])  # sent | retry | failed
BOOKINGS = Counter("portail_booking_requests_total", "Booking lines confirmed by parents", ["outcome"])


def route_of(request: web.Request) -> str:
    """The route's pattern, not the concrete path: bounded label values."""
    info = request.match_info.route.resource
    return info.canonical if info is not None else "unmatched"


def http_middleware(service: str):
    @web.middleware
    async def middleware(request: web.Request, handler):
        if request.path == "/metrics":
            return await handler(request)
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            route = route_of(request)
            HTTP_LATENCY.labels(service, request.method, route).observe(time.perf_counter() - started)
            HTTP_REQUESTS.labels(service, request.method, route, str(status)).inc()

    return middleware


def exposition() -> web.Response:
    return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})
