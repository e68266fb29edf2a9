"""Marketing in the e2e platform: a settle time long enough that a test can see a
recommendation pending and opt out before it goes (tests/e2e/test_marketing.py)."""

OVERRIDES: dict[str, object] = {"settle_seconds": 3.0}
