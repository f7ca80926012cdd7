"""The OpenAPI document of the public API, written or checked from the gateway's declarations.

    uv run python -m tools.openapi            write services/gateway/openapi.json
    uv run python -m tools.openapi --check    exit 1 when services/gateway/openapi.json is stale

The document is built by `services.gateway.openapi` from the declared public routes
(services/gateway/public_api.py) and stays beside the gateway, which serves the committed file at
GET /api/v1/openapi.json. It is deterministic (sorted keys, no dates), so a declaration changed without
regenerating shows up as a stale file (tests/unit/test_openapi.py).
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from services.gateway.openapi import OUTPUT, render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.openapi", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is stale")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text = render()
    current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    if args.check:
        if current != text:
            diff = difflib.unified_diff(current.splitlines(), text.splitlines(), "committed", "generated",
                                        lineterm="", n=1)
            print(f"{args.output} is stale: regenerate it with `uv run python -m tools.openapi`", file=sys.stderr)
            print("\n".join(list(diff)[:40]), file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
