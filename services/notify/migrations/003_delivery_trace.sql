-- The trace a mail was decided in, so its sending continues the same trace.
ALTER TABLE deliveries ADD COLUMN trace_context jsonb NOT NULL DEFAULT '{}'::jsonb;
