"""The recommendation email's words: a title naming the customer's top interest, and one
line per product, best first."""

from services.marketing.catalogue import CURRENCY, NANOS, Product
from services.marketing.scoring import Scores

EVENT_TYPE = "acme.marketing.v1.recommendation"


def price_text(nanos: int) -> str:
    units, rest = divmod(nanos, NANOS)
    return f"{CURRENCY} {units}.{rest // 10_000_000:02d}"


def top_interest(scores: Scores) -> str:
    """The category or brand with the highest score (ties to the lower name)."""
    named = [*scores.categories.items(), *scores.brands.items()]
    return min(named, key=lambda item: (-item[1], item[0]))[0] if named else "you"


def title(scores: Scores) -> str:
    return f"Picked for you: more {top_interest(scores)}"


def body(products: list[Product]) -> str:
    lines = [
        "Based on what you looked at recently, you may like:",
        "",
        *(
            f"- {p.name} ({p.brand}, {p.category}): {price_text(p.price_nanos)} [{p.sku}]"
            for p in products
        ),
        "",
        "You get these emails because you opted in to recommendations. You can opt out at "
        "any time in the app.",
    ]
    return "\n".join(lines)
