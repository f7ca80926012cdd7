-- Issue 17: what a parent's calendar and basket read that changes rarely (the tariffs that price a day, the
-- declared incompatibilities of activities) is cached by each booking process; this one-row counter says
-- when the cache is stale. Every write to those tables bumps it (statement triggers, whichever code path
-- writes), and the calendar's one statement reads it with the child's sessions: a replica that sees a
-- newer version reloads at once, so a staff change is visible to parents on their next page.
CREATE TABLE catalog_version (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    version bigint NOT NULL DEFAULT 1
);
INSERT INTO catalog_version DEFAULT VALUES;

CREATE FUNCTION bump_catalog_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog_version SET version = version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER tariffs_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tariffs
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version();
CREATE TRIGGER incompatibilities_catalog_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON activity_incompatibilities
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version();
CREATE TRIGGER activities_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON activities
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version();
