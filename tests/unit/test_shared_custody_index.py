"""A shared child's other households are found through the GIN index on `children.other_family_ids` (booking,
dossier: migrations 017 and 012): written `other_family_ids @> ARRAY[$n]`, which the index serves, never
`$n = ANY(other_family_ids)`, which it cannot (every calendar and children list then read the whole table:
6 ms instead of 0.1 under the rush, measured on 5,000 children)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNINDEXABLE = re.compile(r"=\s*ANY\s*\(\s*(\w+\.)?other_family_ids\s*\)", re.IGNORECASE)


def test_no_lookup_of_the_other_households_bypasses_their_index():
    found = [f"{path.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}"
             for path in sorted((ROOT / "services").rglob("*.py"))
             for text in [path.read_text(encoding="utf-8")] for m in UNINDEXABLE.finditer(text)]
    assert found == []
    uses = sum(path.read_text(encoding="utf-8").count("other_family_ids @> ARRAY[")
               for path in (ROOT / "services").rglob("*.py"))
    assert uses >= 4  # booking's children and month, dossier's children and sheets


def test_the_pattern_catches_the_unindexable_form():
    assert UNINDEXABLE.search("WHERE family_id = $1 OR $1 = ANY(other_family_ids)")
    assert UNINDEXABLE.search("WHERE $2 = ANY (c.other_family_ids)")
    assert not UNINDEXABLE.search("WHERE other_family_ids @> ARRAY[$2]::uuid[]")
