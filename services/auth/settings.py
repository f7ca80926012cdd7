"""auth's settings: where reset links point, session lifetimes, the floor time of a reset request."""

from pydantic import Field

from kit.settings import ServiceSettings


class AuthSettings(ServiceSettings):
    public_url: str = "http://127.0.0.1:8080"  # where the reset links point
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_max_hours: int = Field(default=12, ge=1, le=24 * 30)
    # Reset requests always take at least this long, matched or not (no account enumeration by timing).
    reset_request_floor_ms: int = Field(default=400, ge=0, le=5000)
