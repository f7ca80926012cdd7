-- What an accepted reservation was charged: settled by the transmission of its acceptance and carried by
-- its line to billing (docs/adr/0003); the follow-up shows it from then on. NULL until then.
ALTER TABLE bookings ADD COLUMN charged_unit_cents integer CHECK (charged_unit_cents >= 0),
                     ADD COLUMN charged_quantity integer CHECK (charged_quantity >= 1),
                     ADD COLUMN charged_cents integer CHECK (charged_cents >= 0);

-- A request answered by staff kept its "pending" movement untransmitted for ever, and so stayed "non
-- transmise" after its answer went out. That movement never goes out (its answer does): the bookings whose
-- every other movement is transmitted are transmitted.
UPDATE bookings b SET transmitted = true
WHERE NOT b.transmitted AND b.status <> 'pending'
  AND EXISTS (SELECT 1 FROM movements m WHERE m.booking_id = b.id AND m.transmission_id IS NOT NULL)
  AND NOT EXISTS (SELECT 1 FROM movements m WHERE m.booking_id = b.id AND m.transmission_id IS NULL
                  AND m.outcome <> 'pending');
