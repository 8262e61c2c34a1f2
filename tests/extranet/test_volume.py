"""`manage.py seed_volume`: a small volume, shown coherently by the Extranet's pages."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from tests.conftest import grant, make_user

MANDATS, TITRES = 2_000, 800


@pytest.fixture
def seeded(db):
    out = StringIO()
    call_command("seed_volume", mandats=MANDATS, titres=TITRES, collectivites=2, stdout=out)
    return out.getvalue()


def test_seed_fills_the_ledger_coherently(seeded, client):
    from pigp.core.models import Collectivite
    from pigp.extranet.queries import dashboard
    from pigp.helios.models import (
        Encaissement,
        EtatPiece,
        Exercice,
        Paiement,
        PaymentRun,
        Piece,
        Tiers,
    )
    from pigp.ui.templatetags.ui import pluriel

    assert f"{MANDATS} mandats et {TITRES} titres" in seeded
    assert Piece.objects.filter(domaine="depense").count() == MANDATS
    assert Piece.objects.filter(domaine="recette").count() == TITRES
    assert Exercice.objects.values("annee").distinct().count() == 3
    assert Collectivite.objects.count() == 2
    # Tiers are reused: several pièces each on average, some many more.
    assert Tiers.objects.count() <= (MANDATS + TITRES) // 5
    assert Piece.objects.values("tiers").annotate(n=Count("id")).order_by("-n")[0]["n"] > 20
    states = set(Piece.objects.values_list("etat", flat=True))
    assert {"payee", "prise_en_charge", "rejetee", "partielle", "soldee"} <= states
    assert not Piece.objects.filter(etat="rejetee", motif_code="").exists()

    # Every paid mandat has one payment in a run; a run's count and total are its payments'.
    paid = Piece.objects.filter(domaine="depense", etat=EtatPiece.PAYEE)
    assert Paiement.objects.count() == paid.count() > MANDATS // 2
    assert not Paiement.objects.filter(run__isnull=True).exists()
    for run in PaymentRun.objects.annotate(n=Count("paiements"), s=Sum("paiements__montant")):
        assert (run.nombre, run.total) == (run.n, run.s)
    assert Paiement.objects.filter(reference__startswith="VOL").count() == Paiement.objects.count()

    # A titre's reste à recouvrer is its amount less its encaissements.
    recovered = Piece.objects.filter(domaine="recette", etat__in=["partielle", "soldee"])
    assert Encaissement.objects.values("piece").distinct().count() == recovered.count()
    for titre in recovered.annotate(enc=Sum("encaissements__montant"))[:50]:
        assert titre.reste_a_recouvrer == titre.mt_ttc - titre.enc
        assert (titre.reste_a_recouvrer == 0) == (titre.etat == "soldee")

    # The dashboard's counts by state are the ledger's, and the page shows them.
    coll = Collectivite.objects.order_by("pk").first()
    user = make_user("volume@example.fr")
    grant(user, coll, "extranet", "consultation")
    client.force_login(user)
    exercice = dashboard.exercices_of(coll)[0]
    page = client.get(f"/extranet/collectivites/{coll.pk}/?exercice={exercice.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    for line in dashboard.etats(exercice)["depense"]:
        expected = Piece.objects.filter(exercice=exercice, domaine="depense", etat=line.etat)
        assert line.nombre == expected.count()
        assert re.search(rf">{line.label}</a></td>\s*<td>{line.nombre}</td>", html)
    listing = client.get(f"/extranet/collectivites/{coll.pk}/paiements/")
    total = Piece.objects.filter(collectivite=coll, domaine="depense").count()
    assert pluriel(total, "mandat") in listing.content.decode()
    # A paid mandat's page shows its payment and its run's date.
    mandat = paid.filter(collectivite=coll).select_related("tiers").first()
    payment = Paiement.objects.select_related("run").get(piece=mandat)
    shown = client.get(f"/extranet/mandats/{mandat.pk}/").content.decode()
    assert payment.reference in shown
    assert payment.run.date_execution == payment.date and payment.run.nombre >= 1


def test_seed_refuses_a_database_with_other_data(seeded):
    with pytest.raises(CommandError, match="déjà présent"):
        call_command("seed_volume", mandats=10, titres=10, stdout=StringIO())


def test_seed_refuses_real_pieces_unless_forced(db, collectivite):
    from tests.helios.test_payments_support import Ledger

    Ledger(collectivite).mandat("10.00")
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_volume", mandats=10, titres=10, stdout=StringIO())
    out = StringIO()
    call_command("seed_volume", mandats=10, titres=10, collectivites=1, force=True, stdout=out)
    assert "10 mandats et 10 titres" in out.getvalue()
