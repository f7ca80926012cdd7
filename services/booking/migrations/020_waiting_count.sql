-- Issue 17: a session's waiting list counted with a snapshot of its own. A basket's reservations are one
-- statement (store/baskets.py RESERVE_SQL) that locks their sessions and then decides from their facts: the
-- places come from the locked rows (always their latest version), but a count of bookings written in the same
-- statement would see the waiting lists as they stood when the statement began, before it waited for the
-- locks. A VOLATILE function takes a new snapshot for each query it runs: called once a session is locked, it
-- counts the waiting list as the previous holder of the lock committed it.
CREATE FUNCTION booking_waiting(p_session uuid) RETURNS bigint LANGUAGE sql VOLATILE AS $$
    SELECT count(*) FROM bookings WHERE session_id = p_session AND status = 'waitlisted'
$$;
