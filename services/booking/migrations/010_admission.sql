-- The waiting room (docs/adr/0008-waiting-room.md): a basket's confirmation admitted in arrival order
-- (`seq`, one sequence for every gateway and booking replica), recorded by booking's workers in that
-- order, its answer kept for the parent's result page (reloaded as often as they like).
CREATE SEQUENCE basket_admission_seq;
CREATE TABLE basket_requests (
    id           uuid PRIMARY KEY,               -- chosen by the page (a reposted form is the same request)
    family_id    uuid NOT NULL,
    subject      text NOT NULL,
    lines        jsonb NOT NULL,
    seq          bigint NOT NULL DEFAULT nextval('basket_admission_seq') UNIQUE,
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'done', 'failed')),
    results      jsonb,
    problem      text,
    admitted_at  timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX basket_requests_queued ON basket_requests (seq) WHERE status = 'queued';
CREATE INDEX basket_requests_finished ON basket_requests (finished_at) WHERE finished_at IS NOT NULL;
