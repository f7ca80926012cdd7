"""The portal's services, one package each; `services.topology` is the topology step's command."""
