"""`python -m bench.faults [--quick] [scenario ...]`: every fault scenario and their totals (see the package's
docstring and bench/faults/runner.py)."""

import asyncio
import sys

from bench.faults.runner import main, parse

if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
