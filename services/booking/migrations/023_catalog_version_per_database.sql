-- Issue 17: the catalog's version (migration 019) starts from a random point of its own in each database. A
-- booking process keeps what it read by version (service/catalog_cache.py: tariffs, incompatibilities, the
-- structures' activities); a process that serves several databases one after another (the tests run the
-- services in one process, each test with a database of its own) would otherwise take another database's
-- entries for its own whenever both counters stood at the same number. Bumps stay +1 (bigint: no overflow).
UPDATE catalog_version SET version = version + 1 + floor(random() * 1e15)::bigint;
