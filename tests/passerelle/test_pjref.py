"""A pièce may refer to a PJ sent in an earlier flow (PJRef resolved against the platform)."""

import re

import pytest

from pigp.formats.pes.generator import generate_pes_aller
from pigp.passerelle import intake
from pigp.passerelle.models import Flux, ReceivedPj, StatutFlux

pytestmark = pytest.mark.django_db(transaction=True)


def _flow(coll, tmp_path, name, *, exercice, strip_pj=False):
    budget = coll.budgets.first()
    path = tmp_path / f"{name}.xml"
    info = generate_pes_aller(
        path,
        seed=5,
        pieces=2,
        pj=1,
        exercice=exercice,
        nom_fic=name,
        id_post=coll.poste.codique,
        id_coll=coll.siret,
        cod_col=budget.cod_col,
        cod_bud=budget.cod_bud,
    )
    if strip_pj:
        content = path.read_bytes()
        stripped = re.sub(rb"<PES_PJ>.*</PES_PJ>", b"", content, flags=re.S)
        assert stripped != content
        path.write_bytes(stripped)
    with path.open("rb") as fh:
        [r] = intake.receive(fh, filename=path.name, collectivite=coll, canal="api")
    return Flux.objects.get(pk=r.flux.pk), info


def test_pjref_resolved_by_an_earlier_flow(sicoval, tmp_path):
    first, info = _flow(sicoval, tmp_path, "AVEC_PJ", exercice=2025)
    assert first.statut == StatutFlux.ACQUITTE, first.message
    assert set(ReceivedPj.objects.values_list("id_unique", flat=True)) == set(info.pj_ids)
    later, _ = _flow(sicoval, tmp_path, "SANS_PJ", exercice=2026, strip_pj=True)
    assert later.statut == StatutFlux.ACQUITTE, later.message
    assert not later.findings.filter(code="ERREUR_PJ", severity="error").exists()


def test_pjref_to_a_pj_never_received_is_an_error(sicoval, tmp_path):
    flux, info = _flow(sicoval, tmp_path, "SANS_PJ", exercice=2026, strip_pj=True)
    finding = flux.findings.get(code="ERREUR_PJ", severity="error")
    assert info.pj_ids[0] in finding.message and "précédent" in finding.message
    assert flux.statut == StatutFlux.REFUSE
