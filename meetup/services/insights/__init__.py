"""A group's figures for its organizers: the funnel from channel to introduction, each event's
attendance, the members as the organizer sees them. Counted in SQL, in a fixed number of
queries whatever the size of the group."""
