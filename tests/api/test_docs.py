"""The OpenAPI schema validates without warnings; Swagger UI and Redoc are served without a CDN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.test import Client


def test_schema_validates_and_fails_on_no_warning(tmp_path: Path) -> None:
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schema["components"]["securitySchemes"]["ApiKeyAuth"]["description"],
    }
    operations = [(p, m, op) for p, item in schema["paths"].items() for m, op in item.items()]
    assert len(operations) >= 25
    for path, method, op in operations:
        assert {"ApiKeyAuth": []} in op["security"], (path, method)
        for status in ("401", "403", "404", "429", "500"):
            assert status in op["responses"], (path, method, status)
        ok = next(s for s in op["responses"] if s.startswith("2"))
        assert op["responses"][ok].get("content") or ok == "204", (path, method)
        examples = [c.get("examples") for r in op["responses"].values() for c in r.get("content", {}).values()]
        assert any(examples), (path, method)


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_no_external_assets(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(src|href)=["']https?://""", html), "docs page loads from a CDN"
    assert "drf_spectacular_sidecar" in html
