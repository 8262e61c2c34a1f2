import io

import pytest

from pigp.formats.pes.generator import generate_pes_aller
from pigp.helios.models import Bordereau, EtatPiece, Ligne, Piece, PieceJustificative, Tiers
from pigp.helios.reception import ingest
from pigp.passerelle import intake
from pigp.passerelle.models import Flux, StatutFlux
from tests.reference import pes_sample

pytestmark = pytest.mark.django_db(transaction=True)


def _generated(coll, tmp_path, **kw):
    budget = coll.budgets.first()
    path = tmp_path / "flux.xml"
    info = generate_pes_aller(
        path,
        id_post=coll.poste.codique,
        id_coll=coll.siret,
        cod_col=budget.cod_col,
        cod_bud=budget.cod_bud,
        **kw,
    )
    with path.open("rb") as fh:
        [r] = intake.receive(fh, filename="flux.xml", collectivite=coll, canal="web")
    return Flux.objects.get(pk=r.flux.pk), info


def test_real_editor_sample_becomes_ledger_rows(sicoval):
    """Conformance: a real editor's flow (not the generator's) is read into the ledger."""
    content = pes_sample("aller/sicoval_mandat_sur_marche.xml").read_bytes()
    [r] = intake.receive(io.BytesIO(content), filename="f.xml", collectivite=sicoval, canal="web")
    flux = Flux.objects.get(pk=r.flux.pk)
    assert flux.statut == StatutFlux.ACQUITTE
    bordereau = Bordereau.objects.get(flux=flux)
    assert bordereau.exercice.annee == 2015 and bordereau.domaine == "depense"
    piece = Piece.objects.get(bordereau=bordereau)
    assert piece.etat == EtatPiece.RECUE
    assert piece.mt_ttc == piece.mt_ht + piece.mt_tva > 0
    assert piece.tiers is not None and piece.tiers.iban
    assert piece.lignes.count() >= 1


def test_generated_flow_totals_and_pj_and_idempotence(sicoval, tmp_path):
    flux, info = _generated(
        sicoval, tmp_path, seed=3, bordereaux=2, pieces=15, lignes=2, domaine="mixte", pj=3
    )
    assert flux.statut == StatutFlux.ACQUITTE, flux.message
    assert Bordereau.objects.filter(flux=flux).count() == 4
    pieces = Piece.objects.filter(bordereau__flux=flux)
    assert pieces.count() == info.pieces
    assert Ligne.objects.filter(piece__bordereau__flux=flux).count() == info.lignes
    total_dep = sum(p.mt_ht for p in pieces.filter(domaine="depense"))
    assert total_dep == info.total_depense
    recettes = pieces.filter(domaine="recette")
    assert all(p.reste_a_recouvrer == p.mt_ttc for p in recettes)
    pjs = PieceJustificative.objects.filter(flux=flux)
    assert pjs.count() == 3 and all(pj.fichier_id for pj in pjs)
    with pjs.first().fichier and __import__("pigp.core.files", fromlist=["x"]).open_stored(
        pjs.first().fichier
    ) as fh:
        assert fh.read(5) == b"%PDF-"
    tiers_before = Tiers.objects.count()
    again = ingest(flux)
    assert again.skipped
    assert Piece.objects.filter(bordereau__flux=flux).count() == info.pieces
    assert Tiers.objects.count() == tiers_before


def test_recette_and_depense_bordereaux_numbered_separately(sicoval, tmp_path):
    """A recette bordereau n° 1 after a dépense bordereau n° 1 of the same year is not a duplicate."""
    dep, _ = _generated(sicoval, tmp_path, seed=1, pieces=3, domaine="depense", nom_fic="DEP_1")
    path = tmp_path / "rec.xml"
    budget = sicoval.budgets.first()
    generate_pes_aller(
        path,
        seed=2,
        pieces=3,
        domaine="recette",
        nom_fic="REC_1",
        id_post=sicoval.poste.codique,
        id_coll=sicoval.siret,
        cod_col=budget.cod_col,
        cod_bud=budget.cod_bud,
    )
    with path.open("rb") as fh:
        [r] = intake.receive(fh, filename="rec.xml", collectivite=sicoval, canal="web")
    rec = Flux.objects.get(pk=r.flux.pk)
    assert dep.statut == rec.statut == StatutFlux.ACQUITTE, rec.message
    assert Bordereau.objects.filter(id_bord="1").count() == 2


def test_titres_keep_their_sepa_mandate(sicoval, tmp_path):
    flux, _ = _generated(sicoval, tmp_path, seed=4, pieces=20, domaine="recette")
    titres = list(Piece.objects.filter(bordereau__flux=flux, domaine="recette"))
    with_mandate = [t for t in titres if t.rum]
    assert with_mandate, "the generator gives some titres an InfoPrelevementSEPA block"
    assert all(t.rum.startswith("RUM") and t.date_signature_mandat for t in with_mandate)


def test_interrupted_ingest_resumes_without_duplicates(sicoval, tmp_path, monkeypatch):
    from pigp.helios import reception
    from pigp.helios.receivers import _on_flux_accepted
    from pigp.passerelle.signals import flux_accepted

    flux_accepted.disconnect(_on_flux_accepted, dispatch_uid="helios_ingest")
    try:
        flux, info = _generated(sicoval, tmp_path, seed=9, bordereaux=3, pieces=4)
    finally:
        flux_accepted.connect(_on_flux_accepted, dispatch_uid="helios_ingest")
    assert not Bordereau.objects.filter(flux=flux).exists()
    real = reception._create_bordereau
    calls = []

    def crash_on_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(reception, "_create_bordereau", crash_on_third)
    with pytest.raises(RuntimeError):
        ingest(flux)
    assert Bordereau.objects.filter(flux=flux).count() == 2  # committed one by one
    assert Piece.objects.filter(bordereau__flux=flux).count() == 8
    monkeypatch.setattr(reception, "_create_bordereau", real)
    result = ingest(flux)
    assert result.bordereaux == 1
    assert Piece.objects.filter(bordereau__flux=flux).count() == info.pieces == 12
    assert ingest(flux).skipped
