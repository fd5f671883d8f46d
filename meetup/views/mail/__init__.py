"""Organizer email: the outbox and emailing the people of an event."""
