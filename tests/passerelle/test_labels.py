"""Words a user reads on the passerelle's pages."""

from __future__ import annotations

import pytest

from pigp.formats.pes import validate
from pigp.formats.pes.acquit import build_acquit
from pigp.formats.pes.generator import generate_pes_aller
from pigp.passerelle import intake
from pigp.passerelle.models import Flux, KindFlux, StatutFlux
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_deposited_acquit_is_not_said_to_go_to_the_comptable(
    client, entitled, collectivite, tmp_path
):
    budget = collectivite.budgets.first()
    aller = tmp_path / "aller.xml"
    generate_pes_aller(
        aller,
        id_post=collectivite.poste.codique,
        id_coll=collectivite.siret,
        cod_col=budget.cod_col,
        cod_bud=budget.cod_bud,
        pieces=2,
    )
    acquit = build_acquit(validate(aller), flow_name="aller.xml")
    [received] = _receive(acquit, collectivite, tmp_path)
    flux = Flux.objects.get(pk=received.flux.pk)
    assert (flux.kind, flux.statut) == (KindFlux.PES_ACQUIT, StatutFlux.REFUSE)
    client.force_login(entitled)
    html = client.get(f"/passerelle/flux/{flux.pk}/").content.decode()
    assert "vers le comptable" not in html
    assert (
        "PES_ACQUIT — déposé sur la passerelle (ce type de fichier est émis par le comptable)"
        in html
    )


def _receive(content: bytes, collectivite, tmp_path):
    path = tmp_path / "ACQUIT_aller.xml"
    path.write_bytes(content)
    with path.open("rb") as fh:
        return intake.receive(fh, filename=path.name, collectivite=collectivite, canal="web")


def test_supervision_says_whose_flows_it_shows(client, comptable, national_admin):
    verified_client(client, comptable)
    html = client.get("/passerelle/supervision/").content.decode()
    assert "Flux des collectivités de votre poste" in html
    assert "de les" not in html
    verified_client(client, national_admin)
    assert (
        "Flux de toutes les collectivités."
        in client.get("/passerelle/supervision/").content.decode()
    )


def test_the_flow_page_names_the_bordereaux_domaine_in_french(
    client, entitled, collectivite, tmp_path
):
    from tests.flows import receive_generated

    flux = receive_generated(collectivite, tmp_path / "mixte.xml", domaine="mixte", pieces=2)
    client.force_login(entitled)
    html = client.get(f"/passerelle/flux/{flux.pk}/").content.decode()
    table = html.split("<tbody", 2)[1]
    assert "<td>Dépense</td>" in html and "<td>Recette</td>" in html
    assert "<td>depense</td>" not in table and "<td>recette</td>" not in html
