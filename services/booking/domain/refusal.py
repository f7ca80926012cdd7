"""Staff's refusal of a request waiting for their decision: it must say why, and the family reads that
reason in its « Suivi des réservations »."""

from __future__ import annotations

from contracts.errors import Invalid

__all__ = ["MAX_REASON", "REASON_REQUIRED", "staff_refusal_reason"]

REASON_REQUIRED = "Indiquez le motif du refus : la famille le lit dans son suivi des réservations."
MAX_REASON = 300


def staff_refusal_reason(reason: str | None) -> str:
    """The reason kept with a refusal (trimmed); Invalid when there is none."""
    text = (reason or "").strip()
    if not text:
        raise Invalid(REASON_REQUIRED)
    return text[:MAX_REASON]
