"""Mail: queueing messages in the outbox, delivering them, reminders, organizer emails."""
