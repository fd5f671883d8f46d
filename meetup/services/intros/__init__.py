"""Introductions: intents, matching, proposals and people's settings."""
