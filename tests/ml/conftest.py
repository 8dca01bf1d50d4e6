"""Fixtures for the ml tests. They run without Django (``-p no:django``): ml/ never imports it."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Overrides the project-wide autouse fixture that clears Django's cache: ml tests have no Django."""
