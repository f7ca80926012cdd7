"""The gateway: the only public entry point, a web application over typed clients of the five services
(docs/adr/0007): `clients/`, `web/`, `pages/`, `api_v1.py` + `public_api.py`. It imports no service."""
