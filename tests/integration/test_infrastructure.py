"""The suite really runs on PostgreSQL and Redis, and the health endpoints report them."""

import pytest
import redis
from django.conf import settings
from django.db import connection


@pytest.mark.django_db
def test_suite_runs_on_postgresql() -> None:
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        (version,) = cursor.fetchone()
    assert version.startswith("PostgreSQL")


def test_redis_answers() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    assert client.ping() is True
    client.set("fertivision:test:ping", "pong", ex=10)
    assert client.get("fertivision:test:ping") == b"pong"


def test_cache_is_redis() -> None:
    from django.core.cache import cache

    cache.set("fertivision:test:cache", 42, 10)
    assert cache.get("fertivision:test:cache") == 42
    assert redis.Redis.from_url(settings.REDIS_URL).keys("*fertivision:test:cache*")


def test_healthz_answers(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_broker(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readyz_reports_unreachable_broker(client, settings) -> None:
    from fertivision.celery import app

    original = app.conf.broker_url
    app.conf["broker_url"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/readyz")
    finally:
        app.conf["broker_url"] = original
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "unavailable"
