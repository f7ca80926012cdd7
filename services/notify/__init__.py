"""notify: the mails of the portal, recorded before they are sent, and the morning digest (docs/adr/0007 for the layers)."""
