"""Groups, members, invite links and member imports."""
