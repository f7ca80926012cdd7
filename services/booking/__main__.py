from services.booking.app import service

service.main()
