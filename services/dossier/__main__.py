from services.dossier.app import service

service.main()
