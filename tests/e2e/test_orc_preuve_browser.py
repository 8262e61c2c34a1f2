"""A juge des comptes opens the proof report of an archived pièce in a real browser, axe-core
checks the page, and the JSON downloaded passes `pigp orc check-proof`'s checker."""

from __future__ import annotations

import json

import pytest
from django.core.files.storage import storages

from tests.e2e.test_login_axe import log_in

pytestmark = pytest.mark.browser

JUGE = "juge@demo.pigp.fr"


@pytest.fixture
def archived(demo_server, settings, tmp_path):
    new = dict(settings.STORAGES)
    for n, name in enumerate(settings.PIGP_ORC_COPIES, start=1):
        new[name] = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / f"orc-copie-{n}")},
        }
    settings.STORAGES = new
    settings.PIGP_ORC_SEAL_KEY = tmp_path / "orc_seal_key.pem"
    settings.PIGP_ORC_TSA_URL = ""
    storages._storages = {}
    storages._backends = None
    from pigp.core import journal
    from pigp.core.models import Collectivite
    from pigp.orc import seals
    from tests.orc.factories import add_document, make_unit

    collectivite = Collectivite.objects.get(siret="21310555400017")
    unit = make_unit(collectivite, objet="Réfection de la cour de l'école")
    add_document(unit, b"%PDF-1.4 devis cour", nom="devis.pdf")
    journal.record("orc_archivage", obj=unit, collectivite=collectivite, actor_label="pigp")
    seals.seal_now()
    yield unit
    storages._storages = {}
    storages._backends = None


def test_juge_reads_and_downloads_the_proof(page, archived, assert_accessible, tmp_path):
    from pigp.formats.orcproof import check, load

    log_in(page, JUGE)
    page.goto(f"/orc/pieces/{archived.pk}/preuve/")
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Verdict : probante").is_visible()
    assert "devis.pdf" in page.locator("main").inner_text()
    assert_accessible(page, "the proof report")
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger le relevé (JSON)").click()
    target = tmp_path / "releve.json"
    info.value.save_as(target)
    report = load(target.read_bytes())
    assert report["unite"]["objet"] == "Réfection de la cour de l'école"
    result = check(report)
    assert result.valid, result.reasons
    assert json.loads(target.read_text())["verdict"]["probante"] is True
