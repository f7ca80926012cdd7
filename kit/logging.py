"""structlog JSON logs: one line per event, with service, correlation id and trace id."""

from __future__ import annotations

import logging
import sys

import structlog
from opentelemetry import trace

from kit.context import correlation_id_var


def _add_context(service: str):
    def processor(_logger, _method, event_dict):
        event_dict.setdefault("service", service)
        cid = correlation_id_var.get()
        if cid and "correlation_id" not in event_dict:
            event_dict["correlation_id"] = cid
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            event_dict.setdefault("trace_id", format(span.trace_id, "032x"))
            event_dict.setdefault("span_id", format(span.span_id, "016x"))
        return event_dict

    return processor


def configure_logging(service: str, level: str = "INFO") -> None:
    """JSON on stdout for our logs and for the libraries' (aiohttp, faststream, aio-pika)."""
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_context(service),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log duplicates our own request log line.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # The AMQP client logs whole frames, bodies included, at DEBUG: internal commands carry secrets
    # (reset links), so these loggers never go below INFO whatever the portal's level.
    for name in ("aiormq", "aio_pika", "aiosmtplib", "mail.log"):
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))


def get_logger(name: str | None = None):
    return structlog.get_logger(name)
