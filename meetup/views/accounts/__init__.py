"""Sign-in, sign-up and the profile."""
