from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Axes and throttles keep state in the shared cache: every test starts clean."""
    from django.core.cache import cache

    cache.clear()
