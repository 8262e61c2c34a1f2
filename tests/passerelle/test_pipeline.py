import gzip
import io
import zipfile

import pytest

from pigp.core import files
from pigp.passerelle import intake
from pigp.passerelle.models import (
    AcceptedBordereau,
    Flux,
    FluxFinding,
    KindFlux,
    MailboxItem,
    StatutFlux,
)
from pigp.passerelle.signals import flux_accepted
from tests.conftest import make_user
from tests.flows import aller_bytes, with_wrong_bordereau_total

pytestmark = pytest.mark.django_db(transaction=True)


def _deposit(coll, content: bytes, name="flux.xml", user=None):
    return intake.receive(
        io.BytesIO(content), filename=name, collectivite=coll, canal="web", sender_user=user
    )


def test_valid_flow_accepted_acknowledged_and_signalled(sicoval):
    received = []
    flux_accepted.connect(lambda sender, **kw: received.append(kw), weak=False, dispatch_uid="t1")
    try:
        [r] = _deposit(sicoval, aller_bytes(sicoval, nom_fic="SICOVAL201512104"))
    finally:
        flux_accepted.disconnect(dispatch_uid="t1")
    flux = Flux.objects.get(pk=r.flux.pk)
    assert r.created
    assert flux.kind == KindFlux.PES_ALLER
    assert flux.statut == StatutFlux.ACQUITTE, flux.message
    assert flux.acquit_total is True
    assert flux.nom_fic == "SICOVAL201512104"
    assert flux.budget.cod_col == "100"
    assert flux.schema_version == "v5.17"
    statuts = list(flux.events.values_list("statut", flat=True))
    assert statuts == ["poste", "en_cours", "transmis", "acquitte"]
    acquit = MailboxItem.objects.get(related_flux=flux)
    assert acquit.kind == KindFlux.PES_ACQUIT and acquit.fichier == flux.acquit
    from pigp.formats.pes import read_acquit

    parsed = read_acquit(files.local_path(acquit.fichier).__enter__())
    assert parsed is not None
    assert AcceptedBordereau.objects.filter(flux=flux).count() == 1
    assert len(received) == 1 and received[0]["flux"].pk == flux.pk


def test_same_file_twice_returns_the_existing_flow(sicoval):
    content = aller_bytes(sicoval)
    [first] = _deposit(sicoval, content)
    [second] = _deposit(sicoval, content, name="autre-nom.xml")
    assert first.flux.pk == second.flux.pk and not second.created
    assert Flux.objects.count() == 1


def test_business_errors_refuse_with_findings(simu):
    [r] = _deposit(simu, with_wrong_bordereau_total(aller_bytes(simu)))
    flux = Flux.objects.get(pk=r.flux.pk)
    assert flux.statut == StatutFlux.REFUSE
    codes = set(FluxFinding.objects.filter(flux=flux).values_list("code", flat=True))
    assert "ERREUR_CUMUL_MONTANTS" in codes
    assert flux.acquit is not None


def test_wrong_collectivite_refused(sicoval, simu):
    [r] = _deposit(simu, aller_bytes(sicoval))
    flux = Flux.objects.get(pk=r.flux.pk)
    assert flux.statut == StatutFlux.REFUSE
    assert FluxFinding.objects.filter(flux=flux, code="ERREUR_SIRET").exists()


def test_disabled_budget_refused(sicoval):
    sicoval.budgets.update(actif=False)
    [r] = _deposit(sicoval, aller_bytes(sicoval))
    flux = Flux.objects.get(pk=r.flux.pk)
    assert flux.statut == StatutFlux.REFUSE
    assert FluxFinding.objects.filter(flux=flux, code="ERREUR_CODE_COLLECTIVITE_BUDGET").exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x00\x01binary garbage\xff", "XML"),
        (b"<?xml version='1.0'?><racine/>", "racine"),
        (b'<PES_Aller xmlns="urn:autre"/>', "espace de noms"),
    ],
)
def test_unclassifiable_file_refused_with_reason_and_kept(sicoval, content, expected):
    [r] = _deposit(sicoval, content, name="bizarre.bin")
    flux = Flux.objects.get(pk=r.flux.pk)
    assert flux.statut == StatutFlux.REFUSE
    assert expected in flux.message
    with files.open_stored(flux.fichier) as fh:
        assert fh.read() == content


def test_empty_file_refused_before_any_flow(sicoval):
    with pytest.raises(intake.IntakeError, match="vide"):
        _deposit(sicoval, b"")
    assert Flux.objects.count() == 0


def test_size_limit(sicoval, settings):
    settings.PIGP_PASSERELLE_MAX_SIZE = 100
    with pytest.raises(intake.IntakeError, match="taille maximale"):
        _deposit(sicoval, b"x" * 101)


def test_gzip_and_zip_accepted(sicoval):
    content = aller_bytes(sicoval)
    [r] = _deposit(sicoval, gzip.compress(content), name="flux.xml.gz")
    assert r.flux.original_name == "flux.xml"
    assert Flux.objects.get(pk=r.flux.pk).statut == StatutFlux.ACQUITTE
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.xml", content)
        z.writestr("b.xml", b"<autre/>")
    results = _deposit(sicoval, buf.getvalue(), name="lot.zip")
    assert len(results) == 2
    assert (
        results[0].flux.pk == r.flux.pk and not results[0].created
    )  # same content as the gzip one
    assert results[1].created and results[1].flux.original_name == "b.xml"


def test_gzip_bomb_refused_original_kept(sicoval, settings):
    settings.PIGP_PASSERELLE_MAX_DECOMPRESSED = 1_000_000
    bomb = gzip.compress(b"\0" * 5_000_000)
    [r] = _deposit(sicoval, bomb, name="bombe.xml.gz")
    flux = Flux.objects.get(pk=r.flux.pk)
    assert flux.statut == StatutFlux.REFUSE and "décompress" in flux.message
    assert flux.fichier.size == len(bomb)


def test_zip_entry_count_limit(sicoval, settings):
    settings.PIGP_PASSERELLE_MAX_ZIP_ENTRIES = 3
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(5):
            z.writestr(f"f{i}.xml", b"<a/>")
    [r] = _deposit(sicoval, buf.getvalue(), name="lot.zip")
    assert r.flux.statut == StatutFlux.REFUSE and "5 fichiers" in r.flux.message


def test_claim_is_exclusive(sicoval):
    from pigp.passerelle.pipeline import claim

    user = make_user("u@example.fr")
    [r] = _deposit(sicoval, b"<pas-pes/>", user=user)
    assert claim(r.flux.pk) is None  # already refused: nothing to do


def test_sepa_transfer_file_checked(sicoval):
    import datetime
    from decimal import Decimal

    from pigp.formats import sepa
    from tests.formats.sepa.builders import FOURNISSEUR, TRESORERIE

    executed = datetime.date(2025, 3, 14)
    transfer = sepa.CreditTransfer(
        "2025-000123-1", Decimal("1250.00"), FOURNISSEUR, "MDT", executed
    )
    content = sepa.write_credit_transfer(TRESORERIE, [transfer], message=sepa.PAIN_001_03)
    [r] = _deposit(sicoval, content, name="virements.xml")
    flux = Flux.objects.get(pk=r.flux.pk)
    assert flux.kind == KindFlux.PAIN_001
    assert flux.schema_version == "pain.001.001.03"
    # The execution date (March 2025) is long past: a clear finding, the file refused.
    assert flux.statut == StatutFlux.REFUSE
    assert flux.findings.filter(code="date-past").exists()


def test_sepa_direct_debit_generated_today_accepted(sicoval):
    import datetime
    from decimal import Decimal

    from pigp.formats import sepa
    from tests.formats.sepa.builders import ICS, TRESORERIE, USAGER

    today = datetime.date.today()
    debit = sepa.DirectDebit(
        "T2026000001",
        Decimal("42.10"),
        USAGER,
        "RUM-EAU-000001",
        today - datetime.timedelta(days=30),
        sepa.SequenceType.RECURRENT,
        today + datetime.timedelta(days=5),
        "TITRE 2026-T-000001",
    )
    content = sepa.write_direct_debit(TRESORERIE, ICS, [debit])
    [r] = _deposit(sicoval, content, name="prelevements.xml")
    flux = Flux.objects.get(pk=r.flux.pk)
    assert flux.kind == KindFlux.PAIN_008
    assert flux.statut == StatutFlux.TRANSMIS, list(flux.findings.values_list("message", flat=True))
    assert flux.summary["total"] == "42.10"


def _generated(coll, tmp_path, seed, **kw):
    from pigp.formats.pes.generator import generate_pes_aller

    budget = coll.budgets.first()
    path = tmp_path / f"flux{seed}.xml"
    generate_pes_aller(
        path,
        seed=seed,
        pieces=3,
        domaine="mixte",
        id_post=coll.poste.codique,
        id_coll=coll.siret,
        cod_col=budget.cod_col,
        cod_bud=budget.cod_bud,
        exercice=2026,
        nom_fic=path.stem,
        **kw,
    )
    return path.read_bytes()


def test_a_bordereau_number_already_accepted_is_refused_with_one_lookup(collectivite, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    [first] = _deposit(collectivite, _generated(collectivite, tmp_path, 1, bordereaux=4))
    assert Flux.objects.get(pk=first.flux.pk).statut == StatutFlux.ACQUITTE
    assert AcceptedBordereau.objects.filter(flux=first.flux).count() == 8

    table = AcceptedBordereau._meta.db_table
    with CaptureQueriesContext(connection) as ctx:
        [again] = _deposit(collectivite, _generated(collectivite, tmp_path, 2, bordereaux=4))
    flux = Flux.objects.get(pk=again.flux.pk)
    assert flux.statut == StatutFlux.REFUSE, flux.message
    refused = FluxFinding.objects.filter(flux=flux, message__contains="déjà")
    assert refused.count() == 8  # each IdBord 1-4, dépense and recette
    # The eight checks share one lookup of the budget's accepted bordereaux.
    lookups = [q for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert sum(f'FROM "{table}"' in q["sql"] for q in lookups) == 1

    [next_ones] = _deposit(
        collectivite, _generated(collectivite, tmp_path, 3, bordereaux=4, id_bord_start=5)
    )
    assert Flux.objects.get(pk=next_ones.flux.pk).statut == StatutFlux.ACQUITTE


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("nom_fic", "expected"), [("PES_DEP_042.xml", "PES_DEP_042"), ("PES_DEP_043", "PES_DEP_043")]
)
def test_acquit_name_has_one_extension(collectivite, tmp_path, nom_fic, expected):
    from pigp.passerelle.models import MailboxItem
    from tests.flows import receive_generated

    flux = receive_generated(collectivite, tmp_path / "depot.xml", nom_fic=nom_fic)
    item = MailboxItem.objects.get(related_flux=flux, kind=KindFlux.PES_ACQUIT)
    assert item.name == f"ACQUIT_{flux.pk}_{expected}.xml"


def test_truncated_gzip_is_refused_in_french(collectivite):
    [r] = _deposit(
        collectivite, gzip.compress(b"<x>" + b"a" * 5000 + b"</x>")[:-20], name="f.xml.gz"
    )
    flux = Flux.objects.get(pk=r.flux.pk)
    assert flux.statut == StatutFlux.REFUSE
    assert "le fichier compressé est tronqué (sa fin manque)" in flux.message
    assert "Compressed file" not in flux.message
