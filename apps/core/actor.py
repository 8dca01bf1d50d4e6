"""Record the acting user in the change log outside a web request (Celery tasks, commands)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from auditlog.context import set_actor


@contextmanager
def acting_as(user: Any, *, remote_addr: str | None = None) -> Iterator[None]:
    """Within this block, auditlog entries name `user` as the actor (as the web middleware does)."""
    with set_actor(user, remote_addr=remote_addr):
        yield


def user_or_none(actor: Any) -> Any:
    """The acting User for a 'recorded by' column, or None when the actor is an API key."""
    from django.contrib.auth import get_user_model

    return actor if isinstance(actor, get_user_model()) else None
