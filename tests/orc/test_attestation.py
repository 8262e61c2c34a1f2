"""Attestations d'archivage: per covered unit once every copy is checked, and monthly."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from pigp.core import files
from pigp.core.models import JournalEntry
from pigp.orc import adhesion, attestations, silo
from pigp.orc.models import ArchiveDocument, Attestation, EtatCopie, KindAttestation, ObjectCopy
from pigp.passerelle.models import MailboxItem
from tests.conftest import verified_client
from tests.orc import adhesion_helpers as helpers
from tests.orc.factories import add_document, make_unit

pytestmark = pytest.mark.django_db

adhere = helpers.adhere
juge = helpers.juge
orc_admin = helpers.orc_admin
other_juge = helpers.other_juge


def _covered_unit(collectivite, **values):
    unit = make_unit(collectivite, couverte=True, **values)
    pj1 = add_document(unit, b"%PDF-1.4 facture 1", nom="facture-1.pdf")
    pj2 = add_document(unit, b"%PDF-1.4 devis", nom="devis.pdf")
    add_document(unit, b"<PES_Aller/>", nom="flux.xml", role="flux", media_type="text/xml")
    return unit, [pj1, pj2]


def _copy_path(name: str, sha512: str) -> Path:
    return Path(storages[name].path(silo.name_for(sha512)))


def test_attestation_lists_exactly_the_pj_archived_on_every_copy(collectivite, orc_admin):
    adhere(collectivite, orc_admin)
    unit, pjs = _covered_unit(collectivite, numero="42", numero_bordereau="7", annee=2026)
    attestation = attestations.issue_for(unit)
    assert attestation is not None
    content = attestation.contenu
    assert [(d["nom"], d["sha512"]) for d in content["documents"]] == [
        (pj.nom, pj.obj.sha512) for pj in pjs
    ]
    assert content["piece"] == {
        "unite": unit.pk,
        "nature": "mandat",
        "numero": "42",
        "bordereau": "7",
        "exercice": 2026,
        "objet": unit.objet,
    }
    assert all(d["archive_le"] for d in content["documents"])
    assert "peuvent être détruits" in content["declaration"]
    assert content["adhesion"]["signataire"] == "Marie Dupont"
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert attestation.empreinte == hashlib.sha512(canonical.encode()).hexdigest()
    entry = JournalEntry.objects.get(action="orc_attestation")
    assert entry.details["documents"] == [pj.obj.sha512 for pj in pjs]
    # Idempotent: the same attestation again, nothing new.
    assert attestations.issue_for(unit) == attestation
    assert Attestation.objects.count() == 1
    assert attestations.issue_pending() == 0


def test_one_copy_missing_no_attestation_and_says_why(collectivite):
    unit, pjs = _covered_unit(collectivite)
    _copy_path(silo.copies()[1], pjs[1].obj.sha512).unlink()
    assert attestations.issue_for(unit) is None
    reasons = attestations.eligibility(unit).reasons
    assert reasons == [f"« devis.pdf » est absent de la copie « {silo.copies()[1]} »."]
    assert not Attestation.objects.exists()
    # Repaired from the sound copy: the attestation is issued.
    assert silo.repair(pjs[1].obj, silo.copies()[1])
    assert attestations.issue_for(unit) is not None


def test_altered_copy_or_copy_not_recorded_sound_fails_closed(collectivite):
    unit, pjs = _covered_unit(collectivite)
    _copy_path(silo.copies()[0], pjs[0].obj.sha512).write_bytes(b"%PDF-1.4 falsified")
    assert attestations.issue_for(unit) is None
    assert attestations.eligibility(unit).reasons == [
        f"« facture-1.pdf » est altéré sur la copie « {silo.copies()[0]} »."
    ]
    silo.repair(pjs[0].obj, silo.copies()[0])
    ObjectCopy.objects.filter(obj=pjs[1].obj, storage=silo.copies()[1]).update(
        etat=EtatCopie.ABSENTE
    )
    assert attestations.issue_for(unit) is None
    assert attestations.eligibility(unit).reasons == [
        f"« devis.pdf » n'est pas enregistré sain sur « {silo.copies()[1]} »."
    ]


def test_not_covered_before_the_adhesion(collectivite, orc_admin):
    """The ingest marks a unit covered with `adhesion.covers(received_at)`."""
    received_before = timezone.now() - datetime.timedelta(days=1)
    adh = adhere(collectivite, orc_admin)
    early = make_unit(collectivite, couverte=adhesion.covers(collectivite.pk, received_before))
    add_document(early, b"%PDF-1.4 avant")
    late = make_unit(collectivite, couverte=adhesion.covers(collectivite.pk, adh.enregistree_le))
    add_document(late, b"%PDF-1.4 apres")
    assert not early.couverte and late.couverte
    assert attestations.issue_for(early) is None
    assert "pas couverte" in attestations.eligibility(early).reasons[0]
    assert attestations.issue_pending() == 1
    assert list(Attestation.objects.values_list("unit_id", flat=True)) == [late.pk]


def test_no_pj_no_attestation(collectivite):
    unit = make_unit(collectivite, couverte=True)
    add_document(unit, b"<PES_Aller/>", nom="flux.xml", role="flux")
    assert attestations.issue_for(unit) is None
    assert attestations.eligibility(unit).reasons == [
        "Cette pièce n'a aucune pièce justificative archivée."
    ]


def test_a_document_added_later_gets_a_complementary_attestation(collectivite):
    unit, _pjs = _covered_unit(collectivite)
    first = attestations.issue_for(unit)
    assert first is not None
    scan = add_document(unit, b"%PDF-1.4 scan", nom="scan.pdf", role="numerise")
    ArchiveDocument.objects.filter(pk=scan.pk).update(
        numerisation={"numerise_par": "A. Agent", "resolution_dpi": 300}
    )
    assert attestations.issue_pending() == 1
    second = attestations.latest_for(unit)
    assert second is not None and second != first
    assert second.contenu["rang"] == 2
    assert [d["nom"] for d in second.contenu["documents"]] == ["scan.pdf"]
    assert second.contenu["documents"][0]["copie_numerisee"] is True
    assert second.contenu["documents"][0]["numerisation"]["resolution_dpi"] == 300
    assert attestations.issue_pending() == 0
    assert attestations.issue_for(unit) == second


def _last_month() -> datetime.date:
    return attestations.previous_month()


def _issued_last_month(collectivite, n: int = 2) -> list[Attestation]:
    start, _end = attestations.month_bounds(_last_month())
    made = []
    for i in range(n):
        unit, _ = _covered_unit(collectivite)
        att = attestations.issue_for(unit)
        assert att is not None
        Attestation.objects.filter(pk=att.pk).update(emise_le=start + datetime.timedelta(days=i))
        made.append(att)
    return made


def test_monthly_recap_is_idempotent_and_in_the_mailbox(collectivite, orc_admin):
    adh = adhere(collectivite, orc_admin)
    month = _last_month()
    start, _ = attestations.month_bounds(month)
    adh.__class__.objects.filter(pk=adh.pk).update(enregistree_le=start)
    made = _issued_last_month(collectivite)
    this_month, _ = _covered_unit(collectivite)
    assert attestations.issue_for(this_month) is not None  # not in last month's recap
    recaps = attestations.monthly_due()
    assert len(recaps) == 1
    recap = recaps[0]
    assert recap.periode == month
    assert [a["id"] for a in recap.contenu["attestations"]] == [a.pk for a in made]
    assert recap.contenu["nombre_pieces"] == 2 and recap.contenu["nombre_documents"] == 4
    assert recap.empreinte == attestations.empreinte_of(recap.contenu)
    item = MailboxItem.objects.get(collectivite=collectivite)
    assert item.name == f"attestation-archivage-{month:%Y-%m}-{collectivite.siret}.pdf"
    with files.open_stored(item.fichier) as fh:
        pdf = fh.read()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Attestation récapitulative d'archivage" in text
    assert JournalEntry.objects.filter(action="orc_attestation_mensuelle").count() == 1
    # Again (a second worker, the next sweep): nothing new, nothing delivered twice.
    assert attestations.monthly_due() == []
    assert attestations.monthly(collectivite, month) == recap
    assert Attestation.objects.filter(kind=KindAttestation.MENSUELLE).count() == 1
    assert MailboxItem.objects.count() == 1
    with pytest.raises(ValueError, match="mois terminé"):
        attestations.monthly(collectivite, timezone.localdate())


def test_no_recap_without_adhesion_during_the_month(collectivite, other_collectivite, orc_admin):
    adhere(collectivite, orc_admin)  # recorded this month: last month was not covered
    assert attestations.monthly_due() == []
    assert not MailboxItem.objects.exists()


def test_unit_attestation_pdf_names_each_pj_and_marks_scans(collectivite):
    from pigp.orc import attestations_pdf

    unit, _ = _covered_unit(collectivite)
    add_document(unit, b"%PDF-1.4 scan", nom="scan-papier.pdf", role="numerise")
    attestation = attestations.issue_for(unit)
    assert attestation is not None
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(attestations_pdf.render(attestation))).pages
    )
    for name in ("facture-1.pdf", "devis.pdf", "scan-papier.pdf", "copie numérisée"):
        assert name in text
    assert "flux.xml" not in text


# Pages ----------------------------------------------------------------------------------------


def _urls(unit) -> list[str]:
    return [
        reverse(f"orc:{name}", kwargs={"pk": unit.pk})
        for name in ("attestation", "attestation_json", "attestation_pdf")
    ]


@pytest.mark.parametrize("who", ["orc_admin", "entitled", "reader", "comptable", "juge"])
def test_readers_see_the_attestation(request, client, collectivite, who):
    unit, pjs = _covered_unit(collectivite)
    attestation = attestations.issue_for(unit)
    assert attestation is not None
    c = verified_client(client, request.getfixturevalue(who))
    page, as_json, as_pdf = (c.get(url) for url in _urls(unit))
    assert page.status_code == 200
    assert pjs[0].obj.sha512 in page.content.decode()
    assert attestation.empreinte in page.content.decode()
    assert as_json.status_code == 200
    payload = as_json.json()
    assert payload["attestations"][0]["empreinte"] == attestation.empreinte
    assert attestations.empreinte_of(payload["attestations"][0]["contenu"]) == attestation.empreinte
    assert as_pdf.status_code == 200 and as_pdf["Content-Type"] == "application/pdf"
    assert as_pdf.content.startswith(b"%PDF")
    assert JournalEntry.objects.filter(action="orc_attestation_consultee").count() == 3


@pytest.mark.parametrize("who", ["outsider", "other_comptable", "other_juge"])
def test_outsiders_get_404_on_attestations(request, client, collectivite, orc_admin, who):
    adhere(collectivite, orc_admin)
    unit, _ = _covered_unit(collectivite)
    attestations.issue_for(unit)
    recap = attestations.monthly(collectivite, _last_month())
    c = verified_client(client, request.getfixturevalue(who))
    for url in _urls(unit):
        assert c.get(url).status_code == 404
    for name in (
        "attestation_mensuelle",
        "attestation_mensuelle_json",
        "attestation_mensuelle_pdf",
    ):
        assert c.get(reverse(f"orc:{name}", kwargs={"pk": recap.pk})).status_code == 404
    # A unit's attestation is not a monthly one: 404 under the other route.
    c = verified_client(client, orc_admin)
    unit_att = Attestation.objects.get(kind=KindAttestation.PIECE)
    assert (
        c.get(reverse("orc:attestation_mensuelle", kwargs={"pk": unit_att.pk})).status_code == 404
    )


def test_page_of_a_unit_not_attested_says_why(client, collectivite, reader):
    unit, pjs = _covered_unit(collectivite)
    _copy_path(silo.copies()[1], pjs[0].obj.sha512).unlink()
    c = verified_client(client, reader)
    page = c.get(reverse("orc:attestation", kwargs={"pk": unit.pk})).content.decode()
    assert "Aucune attestation d'archivage pour cette pièce" in page
    assert "est absent de la copie" in page
    response = c.get(reverse("orc:attestation_pdf", kwargs={"pk": unit.pk}), follow=True)
    assert "pas encore d&#x27;attestation" in response.content.decode()


@pytest.mark.parametrize("who", ["orc_admin", "reader", "comptable", "juge"])
def test_readers_see_the_monthly_recap(request, client, collectivite, orc_admin, who):
    adhere(collectivite, orc_admin)
    made = _issued_last_month(collectivite, 3)
    recap = attestations.monthly(collectivite, _last_month())
    c = verified_client(client, request.getfixturevalue(who))
    page = c.get(reverse("orc:attestation_mensuelle", kwargs={"pk": recap.pk}))
    assert page.status_code == 200
    body = page.content.decode()
    assert recap.empreinte in body
    for att in made:
        for doc in att.contenu["documents"]:
            assert doc["sha512"] in body
    as_json = c.get(reverse("orc:attestation_mensuelle_json", kwargs={"pk": recap.pk})).json()
    assert as_json["empreinte"] == attestations.empreinte_of(as_json["contenu"])
    as_pdf = c.get(reverse("orc:attestation_mensuelle_pdf", kwargs={"pk": recap.pk}))
    assert as_pdf.status_code == 200 and as_pdf.content.startswith(b"%PDF")
    adhesion_page = c.get(reverse("orc:adhesion", kwargs={"collectivite_pk": collectivite.pk}))
    assert reverse("orc:attestation_mensuelle", kwargs={"pk": recap.pk}) in (
        adhesion_page.content.decode()
    )


def test_attestation_pages_queries_are_bounded(
    client, collectivite, orc_admin, django_assert_max_num_queries
):
    adhere(collectivite, orc_admin)
    made = _issued_last_month(collectivite, 6)
    unit = made[0].unit
    for n in range(4):  # complements
        add_document(unit, f"%PDF-1.4 scan {n}".encode(), nom=f"scan-{n}.pdf", role="numerise")
        assert attestations.issue_for(unit) is not None
    recap = attestations.monthly(collectivite, _last_month())
    c = verified_client(client, orc_admin)
    with django_assert_max_num_queries(18):
        assert c.get(reverse("orc:attestation", kwargs={"pk": unit.pk})).status_code == 200
    with django_assert_max_num_queries(16):
        url = reverse("orc:attestation_mensuelle", kwargs={"pk": recap.pk})
        assert c.get(url).status_code == 200


def test_the_worker_sweep_issues_pending_attestations(collectivite, orc_admin):
    from pigp.passerelle.signals import worker_sweep

    adh = adhere(collectivite, orc_admin)
    start, _ = attestations.month_bounds(_last_month())
    adh.__class__.objects.filter(pk=adh.pk).update(enregistree_le=start)
    _covered_unit(collectivite)
    lines = [line for _receiver, line in worker_sweep.send(sender=None, startup=False) if line]
    assert "1 attestation(s) d'archivage émise(s)" in " ".join(lines)
    assert "1 récapitulatif(s) mensuel(s)" in " ".join(lines)
    assert Attestation.objects.filter(kind=KindAttestation.PIECE).count() == 1
    again = [line for _r, line in worker_sweep.send(sender=None, startup=False) if line]
    assert not any("attestation" in line for line in again)


def test_page_names_documents_waiting_for_their_complement(client, collectivite, reader):
    unit, _ = _covered_unit(collectivite)
    assert attestations.issue_for(unit) is not None
    scan = add_document(unit, b"%PDF-1.4 scan", nom="scan.pdf", role="numerise")
    _copy_path(silo.copies()[0], scan.obj.sha512).unlink()
    assert attestations.issue_pending() == 0  # fails closed: a copy is missing
    page = verified_client(client, reader).get(reverse("orc:attestation", kwargs={"pk": unit.pk}))
    body = page.content.decode()
    assert "1 document déposé depuis ne figure encore sur aucune attestation" in body
    assert "« scan.pdf »" in body
