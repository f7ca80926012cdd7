# One image per Portail Famille service (docs/adr/0007-layers-of-a-service.md): a target per service,
# each holding kit, contracts and that service only, so that an import of another service fails the
# build instead of working by accident because one image held everything.
#   docker build --target booking -t portail-famille/booking .
#   docker run portail-famille/booking                    (python -m services.booking)
#   docker run portail-famille/booking python -m services.booking migrate
# Targets: auth, booking, dossier, notify, billing, gateway; topology (the bus topology step, which reads
# every service's declaration: the only image with all of them, and it serves nothing); mailcatcher (the
# development mail catcher of docker-compose.yml, from tools/, never deployed).

# -- base: Python, uv and the locked runtime dependencies (no dev group) ---------------------------------
FROM python:3.11-slim AS base

# Pinned uv, copied from its official distroless image.
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /uvx /bin/

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PYTHONPATH=/app \
    PATH="/app/.venv/bin:$PATH"

WORKDIR /app

# Dependencies only (a cached layer shared by every target); the sources are copied per target and run
# from /app (PYTHONPATH), the project itself is not installed.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

# Unprivileged user with a numeric id (Kubernetes runAsNonRoot can verify it).
RUN groupadd --system --gid 10001 portail \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /app portail \
    && mkdir -p /app/var/mail \
    && chown -R 10001:10001 /app/var

# What every service shares: the runtime plumbing, the published contracts, the `services` package itself.
COPY kit ./kit
COPY contracts ./contracts
COPY services/__init__.py ./services/__init__.py

EXPOSE 8080

# -- one target per service: kit, contracts and that service's folder only -------------------------------
# The RUN line imports the service's declaration (an import of another service, or of tools, fails the
# build here), then compiles the sources (the root filesystem is read-only on Kubernetes).
FROM base AS auth
COPY services/auth ./services/auth
RUN python -c "import services.auth.app" && python -m compileall -q kit contracts services
USER 10001:10001
CMD ["python", "-m", "services.auth"]

FROM base AS booking
COPY services/booking ./services/booking
RUN python -c "import services.booking.app" && python -m compileall -q kit contracts services
USER 10001:10001
CMD ["python", "-m", "services.booking"]

FROM base AS dossier
COPY services/dossier ./services/dossier
RUN python -c "import services.dossier.app" && python -m compileall -q kit contracts services
USER 10001:10001
CMD ["python", "-m", "services.dossier"]

FROM base AS notify
COPY services/notify ./services/notify
RUN python -c "import services.notify.app" && python -m compileall -q kit contracts services
USER 10001:10001
CMD ["python", "-m", "services.notify"]

FROM base AS billing
COPY services/billing ./services/billing
RUN python -c "import services.billing.app" && python -m compileall -q kit contracts services
USER 10001:10001
CMD ["python", "-m", "services.billing"]

FROM base AS gateway
COPY services/gateway ./services/gateway
RUN python -c "import services.gateway.app" && python -m compileall -q kit contracts services
USER 10001:10001
CMD ["python", "-m", "services.gateway"]

# -- the bus topology step (Kubernetes Job bus-topology, docs/adr/0006): every service's declaration -----
FROM base AS topology
COPY services ./services
RUN python -m services.topology show >/dev/null && python -m compileall -q kit contracts services
USER 10001:10001
CMD ["python", "-m", "services.topology", "declare"]

# -- the development mail catcher (docker-compose.yml only): aiosmtpd comes from its own group ------------
FROM base AS mailcatcher
RUN uv sync --frozen --no-dev --group mailcatcher --no-install-project
COPY tools/__init__.py tools/mailcatcher.py ./tools/
RUN python -c "import tools.mailcatcher"
USER 10001:10001
EXPOSE 1025 8025
CMD ["python", "-m", "tools.mailcatcher"]
