"""The door: tickets, check-in, volunteer door links and the door log."""
