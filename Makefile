# Two commands: `make run` starts the whole portal, `make test` runs every test.
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null)

.PHONY: run test install lint asyncapi openapi bench bench-smoke topology

install:
ifeq ($(UV),)
	python3 -m pip install --quiet "uv==$(UV_VERSION)"
endif
	uv sync --frozen

run: install
	uv run python -m tools.devstack

test: install
	uv run pytest

lint: install
	uv run ruff check .
	uv run lint-imports --no-cache

# Declare the bus topology (every queue of every subscriber, deploy/topology/external-subscribers.yaml
# included) on PORTAIL_AMQP_URL; `make run` does it before starting the services.
topology: install
	PORTAIL_AMQP_URL=$${PORTAIL_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/} uv run python -m services.topology declare

asyncapi: install
	uv run python -m tools.asyncapi

openapi: install
	uv run python -m tools.openapi

bench: install
	uv run python -m bench.outbox_throughput

# The three benchmarks at smoke size (about a minute); fails if any of their own checks fails.
bench-smoke: install
	bash bench/smoke.sh
