"""Demo data so that a newcomer running the portal sees a structure with its news."""

from __future__ import annotations

import uuid

DEMO_STRUCTURE_ID = uuid.UUID("5f1c1d2e-0000-4000-8000-000000000001")
DEMO_NEWS = (
    "<p>Bienvenue sur le Portail Famille de la Mairie de CarteVille.</p>"
    "<p>Les inscriptions pour les vacances d'hiver sont ouvertes jusqu'au 15 janvier.</p>"
)


async def load(_settings, pool) -> None:
    await pool.execute(
        """INSERT INTO structures (id, name, news_html) VALUES ($1, $2, $3)
           ON CONFLICT (id) DO NOTHING""",
        DEMO_STRUCTURE_ID, "Mairie de CarteVille", DEMO_NEWS,
    )
