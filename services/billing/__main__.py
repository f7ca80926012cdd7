from services.billing.app import service

service.main()
