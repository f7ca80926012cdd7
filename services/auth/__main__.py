from services.auth.app import service

service.main()
