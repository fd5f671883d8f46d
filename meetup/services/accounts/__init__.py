"""Accounts: people, their passwords and sign-in links."""
