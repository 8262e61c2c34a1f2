"""Deposits: the real samples accepted and routed, and each broken variant answered with the
right outcome, the right check and the file kept."""

from __future__ import annotations

import io
import time
from decimal import Decimal

import pytest

from pigp.chorus.depot import DepotError, deposer, resoumettre
from pigp.chorus.models import (
    Depot,
    Facture,
    IssueDepot,
    ServiceDestinataire,
    StatutFacture,
    StructureDestinataire,
)
from pigp.chorus.statuts import TransitionError
from pigp.core import files
from pigp.core.models import JournalEntry
from tests.chorus import samples
from tests.chorus.samples import CII_EN16931, UBL, addressed, replace
from tests.reference import pes_sample


def stored_bytes(stored) -> bytes:
    with files.open_stored(stored) as fh:
        return fh.read()


S = StatutFacture

SAMPLES = [
    # (sample, format, profile, kind)
    ("facturx/zugferd_2p1_EN16931_Einfach.xml", "cii", "EN 16931", "facture"),
    ("facturx/zugferd_2p1_BASIC_Einfach.xml", "cii", "BASIC", "facture"),
    ("facturx/zugferd_2p1_BASIC-WL_Einfach.xml", "cii", "BASIC WL", "facture"),
    ("facturx/zugferd_2p1_MINIMUM_Rechnung.xml", "cii", "MINIMUM", "facture"),
    ("facturx/zugferd_2p1_EXTENDED_Warenrechnung.xml", "cii", "EXTENDED", "facture"),
    ("cii/CII_example1.xml", "cii", "EN 16931", "facture"),
    ("ubl/ubl-tc434-example1.xml", "ubl", "EN 16931", "facture"),
    ("ubl/ubl-tc434-creditnote1.xml", "ubl", "EN 16931", "avoir"),
    ("ubl/BIS3_Invoice_positive.XML", "ubl", "EN 16931", "facture"),
]
# The buyer references (BT-10, the service code) the samples carry: the recipient declares them.
SERVICES = {
    "ubl/ubl-tc434-creditnote1.xml": "018304 / 28865",
    "ubl/BIS3_Invoice_positive.XML": "n/a",
}


def controles(depot: Depot) -> dict[str, str]:
    return {c["controle"]: c["resultat"] for c in depot.controles}


def failed(depot: Depot) -> list[str]:
    return [c["controle"] for c in depot.controles if c["resultat"] == "erreur"]


def message(depot: Depot, controle: str) -> str:
    return next(c["message"] for c in depot.controles if c["controle"] == controle)


@pytest.fixture
def deposit(fournisseur, supplier, collectivite):
    """Deposit `data` as the supplier's user; `rel` samples are addressed to the collectivité."""

    def _deposit(data: bytes, nom: str = "facture.xml", **kwargs) -> Depot:
        return deposer(fournisseur, supplier, data, nom, **kwargs)

    return _deposit


@pytest.mark.parametrize(("rel", "fmt", "profile", "kind"), SAMPLES)
def test_every_real_sample_is_accepted_and_routed(
    rel, fmt, profile, kind, deposit, fournisseur, collectivite, supplier
):
    if rel in SERVICES:
        ServiceDestinataire.objects.create(
            collectivite=collectivite, code=SERVICES[rel], libelle="Service de l'exemple"
        )
    depot = deposit(addressed(rel, fournisseur.siret, collectivite.siret), rel.rsplit("/", 1)[1])
    assert depot.issue == IssueDepot.ACCEPTEE, depot.controles
    assert not failed(depot)
    assert list(controles(depot)) == [
        "Facture lisible",
        "Conformité au schéma (XSD)",
        "Règles métier (Schematron)",
        "Montants",
        "Fournisseur",
        "Doublon",
        "Destinataire",
        "Code service",
        "Numéro d'engagement",
    ]
    facture = depot.facture
    assert (facture.format, facture.profil, facture.kind) == (fmt, profile, kind)
    assert facture.collectivite == collectivite and facture.statut == S.MISE_A_DISPOSITION
    assert facture.code_service == SERVICES.get(rel, "")
    assert facture.montant_ht + facture.montant_tva == facture.montant_ttc
    assert facture.original == depot.fichier
    # The XML invoice rendered as PDF at deposit, kept apart from the original.
    assert facture.pdf is not None and facture.pdf != facture.original
    assert facture.pdf.media_type == "application/pdf"
    assert stored_bytes(facture.pdf).startswith(b"%PDF")
    assert list(facture.events.values_list("statut", flat=True)) == ["01", "02", "03"]
    assert facture.events.first().actor == supplier
    assert JournalEntry.objects.filter(action="chorus_depot", object_id=str(depot.pk)).exists()


def test_the_extracted_data_of_the_en16931_sample(deposit, fournisseur, collectivite):
    facture = deposit(addressed(CII_EN16931, fournisseur.siret, collectivite.siret)).facture
    assert facture.numero == "471102" and facture.date_emission.isoformat() == "2018-03-05"
    assert (facture.montant_ht, facture.montant_tva, facture.montant_ttc) == (
        Decimal("473.00"),
        Decimal("56.87"),
        Decimal("529.87"),
    )
    assert facture.montant_a_payer == Decimal("529.87") and facture.devise == "EUR"
    assert facture.siret_acheteur == collectivite.siret
    assert len(facture.lignes) == 2
    assert all(isinstance(v, str | None) for line in facture.lignes for v in line.values())
    assert any(f["gravite"] == "warning" for f in facture.rapport)


def test_a_facturx_pdf_is_kept_as_the_invoice_pdf(deposit, fournisseur, collectivite):
    pdf = samples.facturx(addressed(CII_EN16931, fournisseur.siret, collectivite.siret))
    depot = deposit(pdf, "facture.pdf")
    facture = depot.facture
    assert depot.issue == IssueDepot.ACCEPTEE and facture.format == "facturx"
    assert facture.pdf == facture.original and facture.pdf.media_type == "application/pdf"


def test_a_spooled_file_is_deposited_as_well(fournisseur, supplier, collectivite):
    data = addressed(UBL, fournisseur.siret, collectivite.siret)
    with files.spool(io.BytesIO(data), max_size=len(data)) as spooled:
        depot = deposer(fournisseur, supplier, spooled, "facture.xml")
    assert depot.issue == IssueDepot.ACCEPTEE
    assert stored_bytes(depot.fichier) == data


def test_a_deposit_answers_within_a_second_once_the_rules_are_compiled(
    deposit, fournisseur, collectivite
):
    deposit(addressed(CII_EN16931, fournisseur.siret, collectivite.siret, number="W-1"))
    started = time.perf_counter()
    depot = deposit(addressed(CII_EN16931, fournisseur.siret, collectivite.siret, number="W-2"))
    assert time.perf_counter() - started < 1
    assert depot.issue == IssueDepot.ACCEPTEE


# ------------------------------------------------------------------ refused


def assert_refused(depot: Depot, controle: str) -> None:
    assert depot.issue == IssueDepot.REFUSEE and depot.facture is None
    assert failed(depot) == [controle]
    assert depot.controles[-1]["controle"] == controle  # the checks stop there
    # Nothing deposited is lost.
    assert depot.fichier.size > 0 and stored_bytes(depot.fichier)
    assert not Facture.objects.exists()


def test_altered_totals_are_refused_with_the_report(deposit, fournisseur, collectivite):
    data = addressed(CII_EN16931, fournisseur.siret, collectivite.siret)
    data = replace(data, "<ram:GrandTotalAmount>529.87", "<ram:GrandTotalAmount>592.87")
    depot = deposit(data)
    assert_refused(depot, "Règles métier (Schematron)")
    assert "BR-CO-15" in {f["regle"] for f in depot.rapport}


def test_a_changed_line_is_refused(deposit, fournisseur, collectivite):
    data = addressed(CII_EN16931, fournisseur.siret, collectivite.siret)
    data = replace(data, "<ram:LineTotalAmount>198.00", "<ram:LineTotalAmount>189.00")
    depot = deposit(data)
    assert_refused(depot, "Règles métier (Schematron)")
    assert "BR-CO-10" in {f["regle"] for f in depot.rapport}


def test_totals_the_rules_do_not_cover_are_checked_too(deposit, fournisseur, collectivite):
    """A plain PDF's typed amounts have no Schematron: the deposit's own check refuses them."""
    depot = deposit(
        samples.blank_pdf(),
        "facture.pdf",
        champs_saisis={
            "numero": "P-1",
            "date_emission": "2026-11-30",
            "siret_acheteur": collectivite.siret,
            "montant_ht": "100,00",
            "montant_tva": "20,00",
            "montant_ttc": "130,00",
        },
    )
    assert_refused(depot, "Montants")
    assert "ne fait pas le montant TTC (130,00 €)" in message(depot, "Montants")


def test_an_xsd_error_is_refused(deposit, fournisseur, collectivite):
    data = addressed(UBL, fournisseur.siret, collectivite.siret)
    data = replace(data, "<cbc:IssueDate>", "<cbc:Inconnu>x</cbc:Inconnu><cbc:IssueDate>")
    depot = deposit(data)
    assert_refused(depot, "Conformité au schéma (XSD)")
    assert {f["regle"] for f in depot.rapport} == {"xsd"}


def test_a_plain_pdf_without_its_fields_is_refused(deposit):
    depot = deposit(samples.blank_pdf(), "scan.pdf")
    assert_refused(depot, "Facture lisible")
    assert "doit être accompagné de : numéro de facture" in message(depot, "Facture lisible")


def test_a_plain_pdf_with_its_fields_is_accepted(deposit, collectivite):
    depot = deposit(
        samples.blank_pdf(),
        "scan.pdf",
        champs_saisis={
            "numero": "P-2",
            "date_emission": "30/11/2026",
            "siret_acheteur": collectivite.siret,
            "montant_ht": "1 000,00",
            "montant_tva": "200,00",
            "montant_ttc": "1 200,00",
            "numero_engagement": "EJ-77",
        },
    )
    assert depot.issue == IssueDepot.ACCEPTEE, depot.controles
    facture = depot.facture
    assert (facture.format, facture.numero, facture.numero_engagement) == ("pdf", "P-2", "EJ-77")
    assert facture.montant_ttc == Decimal("1200.00") and facture.pdf == facture.original
    assert facture.date_emission.isoformat() == "2026-11-30"


def test_typed_fields_that_are_not_valid_are_refused(deposit, collectivite):
    fields = {
        "numero": "P-3",
        "date_emission": "31/02/2026",
        "siret_acheteur": collectivite.siret,
        "montant_ht": "cent",
        "montant_tva": "1e40",
        "montant_ttc": "100",
    }
    depot = deposit(samples.blank_pdf(), "scan.pdf", champs_saisis=fields)
    assert_refused(depot, "Facture lisible")
    assert "date d'émission, montant HT, montant TVA." in message(depot, "Facture lisible")


def test_a_pes_file_is_refused(deposit):
    depot = deposit(pes_sample("aller/sicoval_mandat_sur_marche.xml").read_bytes(), "PES.xml")
    assert_refused(depot, "Facture lisible")
    assert "n'est pas une facture électronique" in message(depot, "Facture lisible")


def test_garbage_is_refused_and_an_empty_file_is_not_received(deposit):
    assert_refused(deposit(b"\x00\x01 pas une facture"), "Facture lisible")
    with pytest.raises(DepotError, match="vide"):
        deposit(b"")


def test_a_duplicate_is_refused(deposit, fournisseur, collectivite):
    data = addressed(CII_EN16931, fournisseur.siret, collectivite.siret)
    first = deposit(data)
    again = deposit(samples.facturx(data), "copie.pdf")
    assert first.issue == IssueDepot.ACCEPTEE
    assert again.issue == IssueDepot.REFUSEE and failed(again) == ["Doublon"]
    assert "Une facture n° 471102 de 2018 a déjà été déposée" in message(again, "Doublon")
    assert Facture.objects.count() == 1


def test_the_same_number_another_year_is_no_duplicate(deposit, fournisseur, collectivite):
    data = addressed(CII_EN16931, fournisseur.siret, collectivite.siret)
    deposit(data)
    other_year = replace(data, 'format="102">20180305', 'format="102">20190305')
    assert deposit(other_year).issue == IssueDepot.ACCEPTEE


def test_an_invoice_of_another_seller_is_refused(deposit, other_fournisseur, collectivite):
    depot = deposit(addressed(UBL, other_fournisseur.siret, collectivite.siret))
    assert_refused(depot, "Fournisseur")
    assert other_fournisseur.siret in message(depot, "Fournisseur")


# ------------------------------------------------------------------ à recycler


def test_a_wrong_buyer_siret_is_a_recycler(deposit, fournisseur, other_fournisseur):
    depot = deposit(addressed(UBL, fournisseur.siret, "35600000000048"))
    assert depot.issue == IssueDepot.A_RECYCLER and failed(depot) == ["Destinataire"]
    facture = depot.facture
    assert facture.statut == S.A_RECYCLER and facture.collectivite is None
    assert "« 35600000000048 » n'est pas celui d'une structure destinataire" in facture.motif
    assert list(facture.events.values_list("statut", flat=True)) == ["01", "04"]


def test_a_missing_required_service_code_is_a_recycler(deposit, fournisseur, collectivite):
    StructureDestinataire.objects.create(collectivite=collectivite, service_code_requis=True)
    depot = deposit(addressed(CII_EN16931, fournisseur.siret, collectivite.siret))
    assert depot.issue == IssueDepot.A_RECYCLER and failed(depot) == ["Code service"]
    assert depot.facture.collectivite == collectivite
    assert "exige un code service" in depot.facture.motif


@pytest.mark.parametrize(
    ("code", "actif", "outcome"),
    [("SERV-TECH", True, S.MISE_A_DISPOSITION), ("SERV-TECH", False, S.A_RECYCLER)],
)
def test_a_service_code_must_be_an_active_service(
    code, actif, outcome, deposit, fournisseur, collectivite
):
    service = ServiceDestinataire.objects.create(
        collectivite=collectivite, code="SERV-TECH", libelle="Services techniques", actif=actif
    )
    depot = deposit(addressed(CII_EN16931, fournisseur.siret, collectivite.siret, service=code))
    assert depot.facture.statut == outcome
    assert depot.facture.service == (service if actif else None)
    assert depot.facture.code_service == "SERV-TECH"


def test_an_engagement_required_by_the_service_is_a_recycler(deposit, fournisseur, collectivite):
    ServiceDestinataire.objects.create(
        collectivite=collectivite, code="ST", libelle="Technique", engagement_requis=True
    )
    depot = deposit(addressed(CII_EN16931, fournisseur.siret, collectivite.siret, service="ST"))
    assert depot.issue == IssueDepot.A_RECYCLER and failed(depot) == ["Numéro d'engagement"]


# ------------------------------------------------------------------ resubmission


def test_a_recycled_invoice_is_resubmitted_with_its_addressing_corrected(
    deposit, fournisseur, supplier, collectivite
):
    structure = StructureDestinataire.objects.create(
        collectivite=collectivite, service_code_requis=True, engagement_requis=True
    )
    ServiceDestinataire.objects.create(collectivite=collectivite, code="ST", libelle="Technique")
    facture = deposit(addressed(CII_EN16931, fournisseur.siret, collectivite.siret)).facture
    assert facture.statut == S.A_RECYCLER

    again = resoumettre(facture, supplier, code_service="ST")
    facture.refresh_from_db()
    assert again.issue == IssueDepot.A_RECYCLER and facture.statut == S.A_RECYCLER
    assert "numéro d'engagement" in facture.motif

    last = resoumettre(facture, supplier, numero_engagement="EJ-2026-4")
    facture.refresh_from_db()
    assert last.issue == IssueDepot.ACCEPTEE and last.facture == facture
    assert facture.statut == S.MISE_A_DISPOSITION and facture.service.code == "ST"
    assert list(facture.events.values_list("statut", flat=True)) == [
        "01",
        "04",
        "01",
        "04",
        "01",
        "02",
        "03",
    ]
    assert structure.pk  # the settings were read, not changed


def test_a_wrong_recipient_is_corrected_by_resubmission(
    deposit, fournisseur, supplier, collectivite
):
    facture = deposit(addressed(UBL, fournisseur.siret, "35600000000048")).facture
    resoumettre(facture, supplier, siret_acheteur=collectivite.siret)
    facture.refresh_from_db()
    assert facture.statut == S.MISE_A_DISPOSITION and facture.collectivite == collectivite


def test_only_a_recycled_invoice_may_be_resubmitted(deposit, fournisseur, supplier, collectivite):
    facture = deposit(addressed(UBL, fournisseur.siret, collectivite.siret)).facture
    with pytest.raises(TransitionError, match="n'est pas à recycler"):
        resoumettre(facture, supplier, code_service="X")


def test_the_supplier_completes_a_suspended_invoice(collectivite, fournisseur, supplier):
    from pigp.chorus.depot import completer
    from tests.chorus.factories import make_facture

    facture = make_facture(collectivite, fournisseur, statut=S.SUSPENDUE)
    with pytest.raises(TransitionError, match="Dites ce que vous apportez"):
        completer(facture, supplier, commentaire=" ")
    completer(facture, supplier, commentaire="Bon de livraison joint")
    facture.refresh_from_db()
    assert (facture.statut, facture.motif) == (S.COMPLETEE, "Bon de livraison joint")
    assert facture.events.latest("pk").actor == supplier
    with pytest.raises(TransitionError, match="n'est pas suspendue"):
        completer(facture, supplier, commentaire="encore")
