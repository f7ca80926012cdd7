-- Issue 17: a waiting-room worker passes the admission gate and claims the oldest queued confirmation in ONE
-- round trip (store/admission.py claim_next_behind_gate): the gate is held by one worker of every replica at a
-- time, so each round trip inside it slows the whole waiting room. The function takes the gate (a session
-- advisory lock, opened by the worker once its basket holds its locks), then looks at the queue: a VOLATILE
-- function's query takes a new snapshot, so it sees every confirmation the previous holder of the gate claimed
-- or recorded before opening it (a single statement would see the queue as it stood before waiting for the
-- gate; its FOR UPDATE would still skip what was claimed, but not in an order anyone could state as simply).
CREATE FUNCTION booking_claim_next(p_gate bigint)
RETURNS TABLE (id uuid, family_id uuid, subject text, seq bigint, lines text) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_lock(p_gate);
    RETURN QUERY SELECT r.id, r.family_id, r.subject, r.seq, r.lines::text FROM basket_requests r
                 WHERE r.status = 'queued' ORDER BY r.seq LIMIT 1 FOR UPDATE SKIP LOCKED;
END
$$;
