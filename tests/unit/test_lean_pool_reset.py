"""A service whose pool skips asyncpg's reset (`lean_pool_reset`, kit.db) must say so before every session-level
lock or setting it takes on a pooled connection (`keeps_session_state`), or the lock would outlive its use and
the setting leak to the next request. Checked in the source of each such service, so that a new one is caught."""

from __future__ import annotations

import re
from pathlib import Path

from services.auth.app import service as auth
from services.billing.app import service as billing
from services.booking.app import service as booking
from services.dossier.app import service as dossier
from services.notify.app import service as notify

ROOT = Path(__file__).resolve().parents[2]
# session-level state: an advisory lock held past its transaction, a setting for the session, a LISTEN
SESSION_STATE = re.compile(r"pg_(try_)?advisory_lock\(|set_config\([^)]*,\s*false\)|add_listener\(|\bLISTEN\b")


def test_the_lean_services_mark_every_session_level_lock_or_setting():
    lean = [s.name for s in (auth, billing, booking, dossier, notify) if s.lean_pool_reset]
    assert lean == ["auth", "booking"]  # notify holds session locks on pooled connections: asyncpg's reset stays
    for name in lean:
        for path in sorted((ROOT / "services" / name).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            for match in SESSION_STATE.finditer(text):
                before = text[:match.start()]
                function = before[before.rfind("\n    async def "):] if "async def " in before else before
                assert "keeps_session_state(" in function, (
                    f"{path.relative_to(ROOT)}: {match.group(0)} without kit.db.keeps_session_state before it")


def test_the_check_finds_an_unmarked_lock():
    unmarked = '    async def gate(self):\n        await self.conn.execute("SELECT pg_advisory_lock($1)", 1)\n'
    assert SESSION_STATE.search(unmarked) and "keeps_session_state(" not in unmarked
