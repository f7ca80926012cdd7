"""Developer tools, apart from the runtime: the dev stack (`make run`), the mail catcher, the AsyncAPI and
OpenAPI generators, the consistency check. No production image carries them (docs/adr/0007)."""
