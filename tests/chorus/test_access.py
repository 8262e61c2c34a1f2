"""The choke point: who sees which invoices, who may act on them."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from pigp.chorus import access
from tests.chorus.factories import make_compte, make_facture
from tests.conftest import grant, make_user


@pytest.fixture
def factures(collectivite, other_collectivite, fournisseur, other_fournisseur):
    return {
        "ours": make_facture(collectivite, fournisseur),
        "ours_other_supplier": make_facture(collectivite, other_fournisseur),
        "theirs": make_facture(other_collectivite, fournisseur),
        "unrouted": make_facture(None, fournisseur, statut="04"),
    }


def test_an_entitled_user_sees_and_processes_its_collectivite(entitled, factures):
    assert set(access.factures_for(entitled)) == {factures["ours"], factures["ours_other_supplier"]}
    assert access.get_facture(entitled, factures["ours"].pk, write=True) == factures["ours"]
    with pytest.raises(Http404):
        access.get_facture(entitled, factures["theirs"].pk)
    with pytest.raises(Http404):
        access.get_facture(entitled, factures["unrouted"].pk)


def test_a_read_only_user_sees_but_may_not_act(reader, factures):
    assert access.get_facture(reader, factures["ours"].pk) == factures["ours"]
    with pytest.raises(PermissionDenied, match="ne permet que la consultation"):
        access.get_facture(reader, factures["ours"].pk, write=True)


def test_the_comptable_of_the_poste_reads_only(comptable, other_comptable, factures):
    assert set(access.factures_for(comptable)) == {
        factures["ours"],
        factures["ours_other_supplier"],
    }
    with pytest.raises(PermissionDenied):
        access.get_facture(comptable, factures["ours"].pk, write=True)
    assert set(access.factures_for(other_comptable)) == {factures["theirs"]}


def test_a_juge_sees_nothing(juridiction, collectivite, factures):
    juge = make_user("juge@crc.example.fr", juridiction=juridiction)
    grant(juge, collectivite, "chorus", "consultation")
    assert not access.factures_for(juge).exists()
    with pytest.raises(Http404):
        access.get_facture(juge, factures["ours"].pk)


def test_an_outsider_and_other_applications_see_nothing(outsider, collectivite, factures):
    passerelle_only = make_user("passerelle@example.fr")
    grant(passerelle_only, collectivite, "passerelle", "transmission")
    for user in (outsider, passerelle_only):
        assert not access.factures_for(user).exists()
        with pytest.raises(Http404):
            access.get_facture(user, factures["ours"].pk)
        with pytest.raises(Http404):
            access.get_collectivite(user, collectivite.pk)


def test_a_supplier_sees_its_own_invoices_only(supplier, other_supplier, factures):
    assert set(access.factures_for(supplier)) == {
        factures["ours"],
        factures["theirs"],
        factures["unrouted"],
    }
    assert set(access.factures_for(other_supplier)) == {factures["ours_other_supplier"]}
    with pytest.raises(Http404):
        access.get_facture(other_supplier, factures["ours"].pk)
    with pytest.raises(PermissionDenied, match="réservée à la structure destinataire"):
        access.get_facture(supplier, factures["ours"].pk, write=True)
    assert access.get_facture_of_supplier(supplier, factures["unrouted"].pk)
    with pytest.raises(Http404):
        access.get_facture_of_supplier(other_supplier, factures["unrouted"].pk)
    with pytest.raises(Http404):
        access.get_collectivite(supplier, factures["ours"].collectivite_id)


def test_an_unconfirmed_supplier_account_sees_nothing(fournisseur, factures):
    user = make_user("pas.confirme@example.fr")
    make_compte(user, fournisseur, confirme=False)
    assert not access.factures_for(user).exists()


def test_an_ended_habilitation_is_told(collectivite):
    from pigp.core.models import StatutHabilitation

    user = make_user("ancien@example.fr")
    hab = grant(user, collectivite, "chorus", "transmission")
    hab.statut = StatutHabilitation.REVOQUEE
    hab.save()
    with pytest.raises(PermissionDenied, match="révoqué"):
        access.get_collectivite(user, collectivite.pk)
