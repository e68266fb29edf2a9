"""The recommendation email's words."""

from datetime import UTC, datetime

from services.marketing import catalogue, message
from services.marketing.scoring import Scores


def test_the_email_names_the_top_interest_and_lists_each_product_with_its_price() -> None:
    scores = Scores(datetime(2026, 11, 27, tzinfo=UTC), {"shoes": 4.0}, {"acme-outdoor": 4.0})
    products = [catalogue.BY_SKU["SKU-TRAIL-SHOE"], catalogue.BY_SKU["SKU-SANDAL"]]
    assert message.title(scores) == "Picked for you: more acme-outdoor"  # a tie: lower name
    lines = message.body(products).splitlines()
    assert "- Trail running shoe (acme-outdoor, shoes): EUR 129.90 [SKU-TRAIL-SHOE]" in lines
    assert "- Summer sandal (sunny, shoes): EUR 39.50 [SKU-SANDAL]" in lines
    assert "opt out" in lines[-1]
