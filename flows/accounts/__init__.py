"""Local accounts: users and their roles, provider organisations, API and calendar tokens (see models/accounts.py)."""
