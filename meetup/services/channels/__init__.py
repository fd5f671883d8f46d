"""Channels: where people come from (`?via=slack-general` on every event link the app gives
out), the Slack and Discord posts that bring them, and the link card they unfurl to."""
