"""Signals the service desk sends for other apps (which may depend on tickets, not the reverse)."""

from django.dispatch import Signal

# Sent inside the transaction that anonymises a ticket (kwargs: ticket, now): apps holding
# personal data about it (the e-mail channel's raw messages) remove theirs.
ticket_anonymised = Signal()
