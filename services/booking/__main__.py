"""`python -m services.booking [command]`: run booking (services/booking/app.py)."""

from services.booking.app import service

service.main()
