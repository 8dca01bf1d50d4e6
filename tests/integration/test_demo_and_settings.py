"""The demo seed is idempotent; production settings refuse to start without their secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_covers_every_status() -> None:
    from apps.accounts.models import Clinic, StaffRole, User
    from apps.accounts.roles import Role
    from apps.cycles.models import CycleStatus, Embryo, MonitoringVisit, Oocyte, TreatmentCycle
    from apps.patients.models import Patient

    call_command("seed_demo", "--couples", "8", stdout=open(os.devnull, "w"))  # noqa: SIM115
    counts = [m.objects.count() for m in (Clinic, User, Patient, TreatmentCycle, MonitoringVisit, Oocyte, Embryo)]
    call_command("seed_demo", "--couples", "8", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert [
        m.objects.count() for m in (Clinic, User, Patient, TreatmentCycle, MonitoringVisit, Oocyte, Embryo)
    ] == counts

    assert Clinic.objects.count() == 2
    assert Patient.objects.count() == 2 * 8 * 2
    assert set(TreatmentCycle.objects.values_list("status", flat=True)) == set(CycleStatus.values)
    for clinic in Clinic.objects.all():
        held = set(StaffRole.objects.filter(clinic=clinic, group__user__isnull=False).values_list("role", flat=True))
        assert held == set(Role.values)
    assert Patient.objects.filter(partner__isnull=False).count() == Patient.objects.count()
    assert Embryo.objects.exists() and MonitoringVisit.objects.exists()


def _production_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET", "FIELD_", "BLIND_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="fertivision.settings.production",
        SECRET_KEY="x" * 60,
        DJANGO_ALLOWED_HOSTS="clinic.example.org",
        DATABASE_URL="postgres://u:p@127.0.0.1:1/db",
        REDIS_URL="redis://127.0.0.1:1/0",
        FIELD_ENCRYPTION_KEYS="k1:" + "A" * 43 + "=",
        BLIND_INDEX_KEY="b" * 40,
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v != ""}


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "DATABASE_URL", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "REDIS_URL"]
)
def test_production_refuses_to_start_without_a_secret(missing: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=_production_env(**{missing: ""}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_starts_with_its_secrets() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('ok')"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_deploy_checks_pass_with_https_on() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(SECRET_KEY="k" + "".join(chr(65 + (i * 7) % 58) for i in range(70))),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_checks_fail_when_https_is_off() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(DJANGO_HTTPS="false", SECRET_KEY="k" + "".join(chr(65 + (i * 7) % 58) for i in range(70))),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr or "SECURE_SSL_REDIRECT" in result.stdout + result.stderr
