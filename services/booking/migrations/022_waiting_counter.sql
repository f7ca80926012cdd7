-- Issue 17: a session's waiting list length kept on the session itself, so that a basket reads it from the row
-- it locks instead of counting the list (booking_waiting(), migration 020): the count read every waiting request
-- of each locked session, so a rentrée basket cost more the longer the lists grew (2.35 -> 3.3 ms for the
-- reservations' statement as the lists reached 900, the sessions' locks held meanwhile). Read from the locked
-- row, it is the latest committed value whoever held the lock before (as `taken` is).
-- Kept by triggers on bookings, so that no path that writes a booking can forget it: the inserts of a statement
-- counted together (a basket's 40 lines: one update per session), a change of status or a deletion row by row
-- (rare: cancellations, promotions, staff decisions, closures), and only when the waiting list changes.
-- Every path that changes a booking's status locks the session before the booking (store/bookings.py
-- lock_request, store/baskets.py): the trigger's update never waits on a session while holding a booking.
ALTER TABLE sessions ADD COLUMN waiting integer NOT NULL DEFAULT 0 CONSTRAINT sessions_waiting_not_negative
    CHECK (waiting >= 0);

UPDATE sessions s SET waiting = w.n
FROM (SELECT session_id, count(*) AS n FROM bookings WHERE status = 'waitlisted' GROUP BY session_id) w
WHERE s.id = w.session_id;

CREATE FUNCTION bookings_waiting_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sessions s SET waiting = s.waiting + w.n
    FROM (SELECT session_id, count(*) AS n FROM inserted WHERE status = 'waitlisted' GROUP BY session_id) w
    WHERE s.id = w.session_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER bookings_waiting_inserted AFTER INSERT ON bookings
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION bookings_waiting_inserted();

CREATE FUNCTION bookings_waiting_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'waitlisted' THEN
        UPDATE sessions SET waiting = waiting - 1 WHERE id = OLD.session_id;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.status = 'waitlisted' THEN
        UPDATE sessions SET waiting = waiting + 1 WHERE id = NEW.session_id;
    END IF;
    RETURN NULL;
END
$$;

-- (the WHEN clauses are evaluated without calling the function: the nightly transmission's updates of
-- `transmitted`, the absences' and the prices' never reach it)
CREATE TRIGGER bookings_waiting_changed AFTER UPDATE OF status, session_id ON bookings FOR EACH ROW
    WHEN ((OLD.status = 'waitlisted' OR NEW.status = 'waitlisted')
          AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.session_id IS DISTINCT FROM NEW.session_id))
    EXECUTE FUNCTION bookings_waiting_changed();

CREATE TRIGGER bookings_waiting_deleted AFTER DELETE ON bookings FOR EACH ROW
    WHEN (OLD.status = 'waitlisted') EXECUTE FUNCTION bookings_waiting_changed();

DROP FUNCTION booking_waiting(uuid);
