"""Community: groups, their members, invite links and member imports."""
