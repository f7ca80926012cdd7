# One image for every Portail Famille service; the command picks the service:
#   docker run portail-famille python -m services.booking
FROM python:3.11-slim

# Pinned uv, copied from its official distroless image.
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /uvx /bin/

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH="/app/.venv/bin:$PATH"

WORKDIR /app

# Dependencies first (cached layer), then the project itself.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY kit ./kit
COPY contracts ./contracts
COPY services ./services
RUN uv sync --frozen --no-dev --no-editable

# Unprivileged user with a numeric id (Kubernetes runAsNonRoot can verify it).
RUN groupadd --system --gid 10001 portail \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /app portail \
    && mkdir -p /app/var/mail \
    && chown -R 10001:10001 /app/var
USER 10001:10001

EXPOSE 8080
CMD ["python", "-m", "services.gateway"]
