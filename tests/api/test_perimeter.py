"""A depositor learns nothing about a collectivité it does not act for (issue 9, probe 2).

Saint-Orens' token deposits for Saint-Orens a flow whose header names Volvestre: refused on its
IdColl alone, with the same acknowledgement whether or not its bordereau was already taken in
charge for Volvestre.
"""

from __future__ import annotations

import pytest

from pigp.core import files
from pigp.formats.pes.generator import generate_pes_aller
from pigp.passerelle.models import AcceptedBordereau, Flux, FluxFinding, MailboxItem
from tests.api.conftest import make_account
from tests.factories import make_collectivite
from tests.flows import receive_generated

pytestmark = pytest.mark.django_db(transaction=True)

VOLVESTRE_SIRET = "20005426000019"


@pytest.fixture
def volvestre(poste):
    return make_collectivite(
        VOLVESTRE_SIRET,
        "Communauté de communes du Volvestre",
        poste=poste,
        nature="epci",
        budgets=[("426", "00", "Principal")],
    )


def _volvestre_flow(path, id_bord: int) -> bytes:
    generate_pes_aller(
        path,
        seed=id_bord,
        pieces=2,
        id_post="031042",
        id_coll=VOLVESTRE_SIRET,
        cod_col="426",
        cod_bud="00",
        exercice=2026,
        nom_fic=f"SONDE_{id_bord}",
        id_bord_start=id_bord,
    )
    return path.read_bytes()


def test_header_naming_another_collectivite_reveals_nothing_of_its_state(
    client, collectivite, local_admin, volvestre, tmp_path
):
    # Volvestre's bordereau n° 1 of 2026 is taken in charge.
    receive_generated(volvestre, tmp_path / "volvestre.xml", seed=1, exercice=2026)
    assert AcceptedBordereau.objects.filter(budget__collectivite=volvestre, id_bord="1").exists()

    _, token = make_account(local_admin, [collectivite])
    answers = {}
    for id_bord in (1, 7777):
        body = _volvestre_flow(tmp_path / f"sonde{id_bord}.xml", id_bord)
        response = client.post(
            f"/api/v1/flux/?filename=sonde{id_bord}.xml&collectivite={collectivite.pk}",
            data=body,
            content_type="application/xml",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 201, response.content
        flux = Flux.objects.get(pk=response.json()["id"])
        assert flux.collectivite == collectivite
        assert flux.statut == "refuse", flux.message
        findings = list(FluxFinding.objects.filter(flux=flux).values_list("code", "message"))
        item = MailboxItem.objects.get(related_flux=flux)
        with files.open_stored(item.fichier) as fh:
            acquit = fh.read().decode("iso-8859-1")
        answers[id_bord] = (flux.message, findings, acquit)

    for message, findings, acquit in answers.values():
        assert [code for code, _ in findings] == ["ERREUR_SIRET"]
        assert "DOUBLON" not in acquit and "pris en charge" not in acquit
        assert "pris en charge" not in message
    # The same answer for both: nothing tells IdBord 1 (taken in charge) from 7777.
    assert answers[1][0] == answers[7777][0]
    assert answers[1][1] == answers[7777][1]
    assert (
        answers[1][2].replace("SONDE_1", "SONDE_X").split("<DteStr")[1]
        == answers[7777][2].replace("SONDE_7777", "SONDE_X").split("<DteStr")[1]
    )


def test_platform_context_answers_only_for_the_depositing_collectivite(
    collectivite, volvestre, tmp_path
):
    """The second lock: even asked directly, the context says "don't know" about Volvestre."""
    from pigp.passerelle.context import PlatformPesContext

    receive_generated(volvestre, tmp_path / "volvestre.xml", seed=1, exercice=2026)
    own = receive_generated(collectivite, tmp_path / "orens.xml", seed=2, exercice=2026)
    context = PlatformPesContext(own)
    args = ("426", "00", "2026", "01", "1")
    assert context.bordereau_already_accepted(VOLVESTRE_SIRET, *args, domaine="depense") is None
    assert context.budget_active(VOLVESTRE_SIRET, "426", "00") is None
    assert context.collectivite_siret_matches("031042", VOLVESTRE_SIRET) is None
    assert context.pj_already_received(VOLVESTRE_SIRET, "PJ1") is None
    # Its own perimeter is answered as before.
    assert context.budget_active(collectivite.siret, "055", "00") is True
