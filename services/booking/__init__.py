"""booking: what a family books (days of activities, waiting lists, staff decisions) and the nightly transmission
of the movements; see app.py for its declaration and docs/adr/0007 for its layers."""
