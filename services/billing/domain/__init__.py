"""billing's rules, pure (no I/O, no clock, no formatting for people): the months billing answers for,
a consumption line priced from a transmitted booking and its credit, invoices and their state, a payment
and its allocation to the invoices of its structure. The pricing rule itself is contracts/pricing.py
(ADR 0003); the payment methods are contracts/billing.py's PAYMENT_METHODS."""
