"""Accounts: the custom user model (from the first migration), registration, login, profile,
password change and account deletion."""
