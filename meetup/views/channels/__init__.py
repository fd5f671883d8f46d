"""Channels: tracked links, Slack and Discord webhooks, the link card."""
