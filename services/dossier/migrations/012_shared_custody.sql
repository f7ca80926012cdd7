-- Shared custody (garde alternée, from auth's family events): a child's second household. The child's sheets
-- stay under its first family (sheets.family_id) and are shared: both households see, fill and transmit
-- them; each household keeps its own family and responsable sheets.
ALTER TABLE children ADD COLUMN other_family_ids uuid[] NOT NULL DEFAULT '{}';
CREATE INDEX children_other_families ON children USING gin (other_family_ids);
