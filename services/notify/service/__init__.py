"""notify's transaction scripts: each takes a store (services/notify/store, or a fake one in the unit
tests), calls the rules of services/notify/domain and the templates, and returns what it did."""
