-- A tariff belongs to the structure that published it: another structure's tariff for the same activity
-- id (a mistake, or staff of another structure) neither blocks nor prices this structure's lines.
ALTER TABLE tariffs DROP CONSTRAINT tariffs_activity_id_effective_from_key;
ALTER TABLE tariffs ADD CONSTRAINT tariffs_structure_activity_effective_from_key
    UNIQUE (structure_id, activity_id, effective_from);
