"""A shop id is the first segment of its pages' paths (/{shop}/returns): the ids Boomerang's own
routes begin with are refused, so no shop is left without a portal behind the console or an API."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from boomerang.api import routes
from boomerang.domain.errors import Unprocessable
from boomerang.services.shops import RESERVED_SHOP_IDS, ShopAdmin


def test_every_fixed_first_segment_of_a_route_is_reserved() -> None:
    tables = [v for n, v in vars(routes).items() if n.endswith("ROUTES") and isinstance(v, tuple)]
    first = {path.split("/")[1] for table in tables for _, path in table}
    assert first - {"{shop}"} <= RESERVED_SHOP_IDS
    assert "local" in RESERVED_SHOP_IDS  # make local's helpers (/local/login, /local/mails)


@pytest.mark.parametrize("shop", sorted(RESERVED_SHOP_IDS))
def test_a_reserved_id_is_refused_before_anything_is_written(shop: str) -> None:
    repo = MagicMock()
    with pytest.raises(Unprocessable) as refused:
        ShopAdmin(repo).create(shop, "A shop")
    assert refused.value.details == [
        {"field": "shop", "code": "reserved_shop_id", "message": f"'{shop}' is reserved"}
    ]
    assert not repo.ddb.mock_calls and not repo.table.mock_calls
