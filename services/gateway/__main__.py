"""`python -m services.gateway`: run the gateway."""

from services.gateway.app import main

main()
