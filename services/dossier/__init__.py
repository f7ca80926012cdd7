"""dossier: the family dossier (campaigns, sheets, documents, reviews)."""
