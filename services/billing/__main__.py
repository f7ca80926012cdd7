"""`python -m services.billing [migrate|issue-invoices|demo]`: runs (or migrates, or commands) billing."""

from services.billing.app import service

service.main()
