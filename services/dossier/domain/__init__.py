"""Pure rules of the family dossier ("Dossier famille"): the sheets and their data, their
states, the supporting documents, the contacts, encryption at rest, file storage and the
GDPR archive. No SQL and no HTTP here; only ``storage`` touches the filesystem."""
