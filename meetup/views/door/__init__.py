"""Tickets, the door page and the check-in API, offline support."""
