"""Event pages, RSVPs and the attendee list."""
