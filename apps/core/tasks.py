"""Celery plumbing shared by every app's tasks.

`ActorTask` makes a task record its acting user in the change log, as a web request does:
enqueue with `actor=<user external_id>` and every write inside the task is attributed to them.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from apps.core.actor import acting_as


class ActorTask(Task):  # type: ignore[type-arg]
    def __call__(self, *args: Any, actor: str | None = None, **kwargs: Any) -> Any:
        if actor is None:
            return super().__call__(*args, **kwargs)
        from apps.accounts.models import User

        user = User.objects.filter(external_id=actor).first()
        with acting_as(user):
            return super().__call__(*args, **kwargs)


@shared_task(name="core.ping")
def ping() -> str:
    """A no-op a deployment can enqueue to prove a worker consumes the queue."""
    return "pong"
