"""Domain rules as plain functions over the session: they add and flush, never commit."""
