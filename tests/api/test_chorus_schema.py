"""The Chorus part of the OpenAPI schema: generated without warnings, French, the statuses of
CPPStatutPivot as an enum."""

from __future__ import annotations

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    # --fail-on-warn raises on any warning (enum collisions, unresolvable fields…).
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/chorus/factures-recues/" in out.read_text()


def test_chorus_operations_are_documented_in_french(client):
    schema = client.get(
        "/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}
    ).json()
    chorus = {p: item for p, item in schema["paths"].items() if p.startswith("/api/v1/chorus/")}
    assert len(chorus) == 13
    for path, item in chorus.items():
        for op in item.values():
            assert op["tags"][0].startswith("Chorus Pro")
            assert op["summary"] and op["description"]
            assert "401" in op["responses"]
            # The recipient's search is only empty outside one's perimeter.
            assert ("404" in op["responses"]) == (path != "/api/v1/chorus/factures-recues/")
    enum = schema["components"]["schemas"]["CPPStatutPivotEnum"]
    assert enum["enum"] == [f"{n:02d}" for n in range(1, 13)]
    statut = schema["components"]["schemas"]["Facture"]["properties"]["statut"]
    assert "11 Mise en paiement" in statut["description"]
    decisions = schema["components"]["schemas"]["DecisionDestinataireEnum"]["enum"]
    assert decisions == ["05", "06", "07", "08"]
    deposit = chorus["/api/v1/chorus/depots/"]["post"]
    assert set(deposit["responses"]) >= {"201", "422", "413"}
    assert "multipart/form-data" in deposit["requestBody"]["content"]
    statut = chorus["/api/v1/chorus/factures-recues/{id}/statut/"]["post"]
    assert set(statut["responses"]) >= {"200", "400", "403", "404", "409"}
