from services.notify.app import service

service.main()
