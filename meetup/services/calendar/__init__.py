"""Calendar: .ics files, subscription feeds, emailed invites, add-to-calendar links."""
