"""Tools for developers: generated documentation."""
