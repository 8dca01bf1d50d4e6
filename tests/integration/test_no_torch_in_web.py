"""The web process never imports torch (DESIGN.md): loading every URL, view, admin and API module
of the project must leave torch out of sys.modules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys, django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns            # imports every urlconf, view, viewset and serializer
from django.contrib import admin
admin.autodiscover()
import fertivision.wsgi
heavy = sorted(m for m in ("torch", "torchvision") if m in sys.modules)
print(",".join(heavy) or "clean")
"""


def test_web_process_does_not_import_torch() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fertivision.settings.test"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "clean"
