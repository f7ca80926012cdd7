"""OpenTelemetry: a tracer provider per process, exporter chosen by configuration."""

from __future__ import annotations

import re

import yarl
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.instrumentation.aiohttp_server import AioHttpServerInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

_provider: TracerProvider | None = None


def setup_tracing(
    service: str,
    exporter: str = "none",
    endpoint: str | None = None,
    extra_processor: SpanProcessor | None = None,
) -> TracerProvider:
    """Install the global tracer provider. With exporter 'none' spans are still made (so trace ids
    reach the logs and the events) but sent nowhere."""
    global _provider
    provider = TracerProvider(resource=Resource.create({"service.name": f"portail-{service}"}))
    if exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    if extra_processor is not None:
        provider.add_span_processor(extra_processor)
    if _provider is None:
        trace.set_tracer_provider(provider)
        _provider = provider
        # Every aiohttp application made from now on gets the server middleware, every client
        # session propagates the trace context (traceparent).
        AioHttpServerInstrumentor().instrument(tracer_provider=provider)
        AioHttpClientInstrumentor().instrument(tracer_provider=provider, url_filter=client_url_for_traces)
    return _provider


# A path segment that is neither a word nor a UUID but a long opaque string: a reset or calendar token.
_OPAQUE = re.compile(r"^(?![0-9a-fA-F-]{36}$)[A-Za-z0-9_.~-]{24,}$")
_URL_ATTRIBUTES = ("http.target", "http.url", "url.path", "url.full", "url.query")


def client_url_for_traces(url: yarl.URL) -> str:
    """The URL a client span records: no query string, long opaque path segments (tokens) masked."""
    path = "/".join("{secret}" if _OPAQUE.match(part) else part for part in url.path.split("/"))
    return str(url.with_path(path, encoded=True).with_query(None).with_fragment(None))


def name_server_span_by_route(method: str, template: str) -> None:
    """Replace the raw path the server instrumentation recorded by the route's template, as in the logs:
    a path or query string may carry a secret (reset link, calendar feed token)."""
    span = trace.get_current_span()
    if not span.is_recording():
        return
    recorded = getattr(span, "attributes", None) or {}
    span.set_attributes({key: template for key in _URL_ATTRIBUTES if key in recorded})
    span.update_name(f"{method} {template}")


def tracer_provider() -> TracerProvider:
    return _provider or trace.get_tracer_provider()  # type: ignore[return-value]


def inject_context() -> dict[str, str]:
    """The current trace context as W3C headers (traceparent, tracestate)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
