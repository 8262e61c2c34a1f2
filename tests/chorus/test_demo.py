"""`manage.py demo` gives Chorus an invoice at every status, deposited through the real
service, some following their mandat through the year of Hélios the demo replays."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from pigp.chorus.demo import SUPPLIER_USER
from pigp.chorus.models import CompteFournisseur, Facture, Fournisseur, StatutFacture
from pigp.core.demo import DEMO_PASSWORD
from pigp.core.models import User
from pigp.helios.models import EtatPiece

pytestmark = pytest.mark.django_db(transaction=True)

S = StatutFacture


def test_demo_has_an_invoice_at_every_status():
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "Chorus Pro :" in out.getvalue() and SUPPLIER_USER in out.getvalue()

    statuts = set(Facture.objects.values_list("statut", flat=True))
    assert statuts == set(S.values), sorted(set(S.values) - statuts)
    assert 15 <= Facture.objects.count() <= 30
    assert Fournisseur.objects.count() == 4
    assert {f.format for f in Facture.objects.all()} == {"ubl", "cii"}
    assert not Facture.objects.filter(pdf=None).exclude(statut__in=[S.DEPOSEE]).exists()

    # The supplier's account: confirmed, with the demo password.
    user = User.objects.get(email=SUPPLIER_USER)
    assert user.check_password(DEMO_PASSWORD)
    assert CompteFournisseur.objects.filter(user=user, confirme=True).exists()

    # The invoices Hélios moved follow their mandat's state, through the receivers.
    linked = Facture.objects.exclude(mandat=None).select_related("mandat")
    expected = {
        S.MISE_A_DISPOSITION_COMPTABLE: EtatPiece.RECUE,
        S.COMPTABILISEE: EtatPiece.PRISE_EN_CHARGE,
        S.MISE_EN_PAIEMENT: EtatPiece.PAYEE,
    }
    assert linked.exists()
    for facture in linked:
        assert facture.mandat.etat == expected[facture.statut], facture
        assert facture.numero_mandat == facture.mandat.id_pce
    paid = Facture.objects.filter(statut=S.MISE_EN_PAIEMENT)
    assert all(f.date_paiement and f.reference_paiement for f in paid)
    for facture in Facture.objects.filter(statut__in=[S.COMPTABILISEE, S.MISE_EN_PAIEMENT]):
        assert facture.events.filter(statut=S.COMPTABILISEE, actor_label="Hélios").exists()

    # A second run adds nothing.
    count = Facture.objects.count()
    call_command("demo", stdout=io.StringIO())
    assert Facture.objects.count() == count
