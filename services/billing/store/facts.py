"""The SQL of the consistency check: billing's projections, counted as their owners count their facts
(kit/consistency.py compares them with the owners' digests)."""

from __future__ import annotations

NAMES = "SELECT id, name FROM structures"
AUTH_FACTS = {
    "structures": """SELECT s.id, s.id::text, v.version FROM structures s
                     LEFT JOIN projection_versions v ON v.kind = 'structures' AND v.key = s.id::text""",
    "families": """SELECT v.structure_id, f.id::text, v.version FROM families f
                   LEFT JOIN projection_versions v ON v.kind = 'families' AND v.key = f.id::text""",
    "children": """SELECT s.structure_id, c.id::text, v.version FROM children c
                   LEFT JOIN projection_versions v ON v.kind = 'families' AND v.key = c.family_id::text
                   LEFT JOIN projection_versions s ON s.kind = 'children' AND s.key = c.id::text""",
}
DOSSIER_FACTS = {
    "quotients": """SELECT f.structure_id, q.family_id::text, v.version FROM quotients q
                    LEFT JOIN projection_versions v ON v.kind = 'quotients' AND v.key = q.family_id::text
                    LEFT JOIN projection_versions f ON f.kind = 'families' AND f.key = q.family_id::text""",
}
# a booking is counted while its charge stands (not credited; a charge cancelled before invoicing is deleted)
BOOKING_FACTS = {
    "bookings": """SELECT c.structure_id, c.booking_id::text, NULL::timestamptz FROM consumptions c
                   WHERE c.credit_of IS NULL AND NOT EXISTS (SELECT 1 FROM consumptions k WHERE k.credit_of = c.id)""",
}
