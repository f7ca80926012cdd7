"""Billing: tariffs, consumption lines, invoices and payments of the families (the layers of ADR 0007)."""
