"""Growing the public API of accord.events is a deliberate act: `__all__` names it all."""

import accord.events


def test_all_names_every_public_member_and_only_those() -> None:
    public = {name for name in dir(accord.events) if not name.startswith("_")}
    assert set(accord.events.__all__) == public
