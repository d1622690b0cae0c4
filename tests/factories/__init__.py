"""Test data factories, one module per domain (as pypi/warehouse's tests/common/db/).

Each function builds one valid object through mamoru's own service functions, with defaults a test
can override by keyword, and commits it; a test names only what it is about.
"""
