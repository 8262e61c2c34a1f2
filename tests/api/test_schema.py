"""The OpenAPI schema and its docs pages (public, no CDN), and schemathesis against the API."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.checks import CHECKS
from schemathesis.generation import GenerationMode
from schemathesis.schemas import APIOperation

from pigp.passerelle import mailbox
from pigp.passerelle.models import KindFlux
from tests.api.conftest import make_account
from tests.flows import aller_bytes

pytestmark = pytest.mark.django_db


CHORUS_OPERATIONS = {
    ("/api/v1/chorus/factures-recues/", "get"),
    ("/api/v1/chorus/factures-recues/{id}/", "get"),
    ("/api/v1/chorus/factures-recues/{id}/historique/", "get"),
    ("/api/v1/chorus/factures-recues/{id}/statut/", "post"),
    ("/api/v1/chorus/factures-recues/{id}/original/", "get"),
    ("/api/v1/chorus/factures-recues/{id}/pdf/", "get"),
    ("/api/v1/chorus/depots/", "post"),
    ("/api/v1/chorus/factures-emises/", "get"),
    ("/api/v1/chorus/factures-emises/{id}/", "get"),
    ("/api/v1/chorus/factures-emises/{id}/resoumettre/", "post"),
    ("/api/v1/chorus/factures-emises/{id}/completer/", "post"),
    ("/api/v1/chorus/factures-emises/{id}/original/", "get"),
    ("/api/v1/chorus/factures-emises/{id}/pdf/", "get"),
}


def test_schema_is_public_openapi_3_and_documents_every_endpoint(client):
    response = client.get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    operations = {
        (path, method)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post"}
    }
    assert operations == {
        ("/api/v1/flux/", "get"),
        ("/api/v1/flux/", "post"),
        ("/api/v1/flux/{id}/", "get"),
        ("/api/v1/flux/{id}/acquittement/", "get"),
        ("/api/v1/flux/{id}/annuler/", "post"),
        ("/api/v1/boite/", "get"),
        ("/api/v1/boite/{id}/fichier/", "get"),
        ("/api/v1/boite/{id}/acquitter/", "post"),
        ("/api/v1/supervision/", "get"),
        *CHORUS_OPERATIONS,
    }
    for path, item in schema["paths"].items():
        for method, op in item.items():
            assert op.get("summary") and op.get("description"), (path, method)
    assert set(schema["components"]["securitySchemes"]) == {"jeton", "session"}


def test_docs_page_public_and_without_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == [], external
    assert "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html
    # No inline script either (ready for a strict Content-Security-Policy): the
    # initialisation script is served by the page itself, publicly too.
    assert "<script>" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"] == "application/javascript"


def test_docs_assets_are_served_locally(client, settings):
    from django.contrib.staticfiles import finders

    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css")


CHECK_NAMES = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error(live_server, admin_local, sicoval):
    """Every operation, valid and invalid inputs, with a valid token: no 5xx, answers as documented."""
    import io

    from pigp.passerelle import intake

    _, clear = make_account(admin_local, [sicoval])
    [received] = intake.receive(
        io.BytesIO(aller_bytes(sicoval)), filename="s.xml", collectivite=sicoval, canal="api"
    )
    retour = mailbox.deliver(sicoval, KindFlux.PES_RETOUR, "PES2R_DEP_TEST.xml", b"<PES_Retour/>")
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    checks = [CHECKS.get_one(name) for name in CHECK_NAMES]
    headers = {"Authorization": f"Bearer {clear}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 9 + len(CHORUS_OPERATIONS)
    known = {"/api/v1/flux/": received.flux.pk, "/api/v1/boite/": retour.pk}
    statuses: dict[str, set[int]] = {}

    def runner(operation: APIOperation, mode: GenerationMode) -> tuple[str, Callable[[], None]]:
        key = f"{operation.method.upper()} {operation.path}"

        @settings(
            max_examples=12,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Case) -> None:
            # Half the valid cases on an object that exists, so more than the 404 path is run.
            if (
                case.path_parameters
                and mode is GenerationMode.POSITIVE
                and case.path_parameters.get("id", 0) % 2
            ):
                prefix = operation.path.split("{", 1)[0]
                # Chorus: this passerelle account reaches no invoice, any id is a 404.
                case.path_parameters["id"] = known.get(prefix, case.path_parameters["id"])
            response = case.call_and_validate(
                base_url=live_server.url, headers=headers, checks=checks
            )
            statuses.setdefault(key, set()).add(response.status_code)

        return key, run

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            key, run = runner(operation, mode)
            try:
                run()
            except Exception as exc:
                failures.append(f"{key} [{mode.value}]: {exc}")
    assert not failures, "\n\n".join(failures[:10])
    # Every operation was really exercised, and not only through its error paths.
    assert len(statuses) == len(operations), statuses
    # Whatever was deposited got a clear status: no technical error in processing either.
    from pigp.passerelle.models import Flux

    errors = list(Flux.objects.filter(statut="erreur").values_list("original_name", "message"))
    assert not errors, errors
    # The one flow is already processed: cancelling it is a 409, never a success.
    succeeded = {key for key, codes in statuses.items() if any(code < 300 for code in codes)}
    # A service account has no supervision: 404 there too. A passerelle account is neither a
    # Chorus recipient (its search is empty) nor a supplier: 404 on everything else of Chorus.
    chorus = {f"{method.upper()} {path}" for path, method in CHORUS_OPERATIONS}
    assert succeeded == set(statuses) - {
        "POST /api/v1/flux/{id}/annuler/",
        "GET /api/v1/supervision/",
        *(chorus - {"GET /api/v1/chorus/factures-recues/"}),
    }, statuses
