"""Settings each service runs with in the end-to-end platform (see tests/e2e/conftest.py)."""
