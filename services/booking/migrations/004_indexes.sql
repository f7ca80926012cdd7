-- Found by bench/booking_year.py: counts per session and movements per booking scanned whole tables.
CREATE INDEX bookings_session ON bookings (session_id, status);
CREATE INDEX movements_booking ON movements (booking_id);
