"""The marketing catalogue: the products a recommendation can list.

A small fixed data module, owned by marketing: browsing events name products by SKU, and
a view or a click scores the product's category and brand. Prices are in nanos (10^-9 of
a unit) of one currency, as the rest of the platform keeps money.
"""

from dataclasses import dataclass

CURRENCY = "EUR"
NANOS = 1_000_000_000


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: str
    brand: str
    price_nanos: int


def _eur(units: int, cents: int = 0) -> int:
    return units * NANOS + cents * 10_000_000


PRODUCTS: tuple[Product, ...] = (
    Product("SKU-TRAIL-SHOE", "Trail running shoe", "shoes", "acme-outdoor", _eur(129, 90)),
    Product("SKU-ROAD-SHOE", "Road running shoe", "shoes", "swift", _eur(109)),
    Product("SKU-HIKING-BOOT", "Waterproof hiking boot", "shoes", "acme-outdoor", _eur(159)),
    Product("SKU-SANDAL", "Summer sandal", "shoes", "sunny", _eur(39, 50)),
    Product("SKU-RAIN-JACKET", "Packable rain jacket", "jackets", "acme-outdoor", _eur(89)),
    Product("SKU-DOWN-JACKET", "Down jacket", "jackets", "northpeak", _eur(219)),
    Product("SKU-FLEECE", "Fleece mid-layer", "jackets", "northpeak", _eur(59, 90)),
    Product("SKU-DAYPACK", "20 l daypack", "bags", "acme-outdoor", _eur(69)),
    Product("SKU-DUFFEL", "Travel duffel", "bags", "northpeak", _eur(99)),
    Product("SKU-TOTE", "Canvas tote", "bags", "sunny", _eur(19, 90)),
    Product("SKU-HEADLAMP", "Rechargeable headlamp", "gear", "lumen", _eur(45)),
    Product("SKU-BOTTLE", "Insulated bottle", "gear", "acme-outdoor", _eur(24, 90)),
)

BY_SKU: dict[str, Product] = {product.sku: product for product in PRODUCTS}
CATEGORIES: frozenset[str] = frozenset(product.category for product in PRODUCTS)
