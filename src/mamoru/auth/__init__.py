"""Users, roles, passwords, web sessions and API tokens."""
