-- The day a dossier campaign closes (issue 19): some days before, the families whose dossier is incomplete
-- are reminded automatically (services/dossier/domain/closing.py). NULL: no closing day, no reminder.
ALTER TABLE campaigns ADD COLUMN closes_on date;
