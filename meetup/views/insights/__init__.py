"""The organizers' insights: the group's figures, and its members as organizers see them."""
