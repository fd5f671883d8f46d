"""Events: creating and editing them, RSVPs, seats, the waitlist and claims."""
