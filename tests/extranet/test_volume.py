"""`manage.py seed_volume`: a small volume, shown coherently by the Extranet's pages."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
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


def test_seed_writes_invoices_and_the_tresor_account(seeded, client):
    from pigp.core.models import Collectivite
    from pigp.helios.models import (
        Encaissement,
        Exercice,
        FacturePiece,
        MouvementTresorerie,
        Paiement,
        Piece,
        SoldeOuverture,
    )
    from pigp.helios.money import treasury

    assert "helios_facturepiece" in seeded and "helios_mouvementtresorerie" in seeded
    # Most mandats pay an invoice of their collectivité, a few two; no titre does.
    factures = FacturePiece.objects.select_related("piece")
    assert all(f.piece.domaine == "depense" for f in factures)
    assert all(f.collectivite_id == f.piece.collectivite_id for f in factures)
    invoiced = Piece.objects.filter(factures__isnull=False).distinct().count()
    assert MANDATS * 0.7 < invoiced < MANDATS
    assert factures.count() > invoiced

    # One movement per payment (negative) and per encaissement (positive), on its date.
    debits = MouvementTresorerie.objects.filter(paiement__isnull=False)
    credits = MouvementTresorerie.objects.filter(encaissement__isnull=False)
    assert debits.count() == Paiement.objects.count()
    assert credits.count() == Encaissement.objects.count()
    assert MouvementTresorerie.objects.count() == debits.count() + credits.count()

    def total(qs) -> Decimal:  # summed here: SQLite sums decimals as floats
        return sum(qs.values_list("montant", flat=True), Decimal(0))

    assert total(debits) == -total(Paiement.objects.all())
    assert total(credits) == total(Encaissement.objects.all())
    for m in debits.select_related("paiement__piece__exercice")[:50]:
        assert m.date == m.paiement.date and m.montant == -m.paiement.montant
        assert m.budget_id == m.paiement.piece.exercice.budget_id
        assert m.libelle == f"Paiement {m.paiement.reference}"
    for m in credits.select_related("encaissement__piece__exercice")[:50]:
        assert m.date == m.encaissement.date and m.montant == m.encaissement.montant
        assert m.budget_id == m.encaissement.piece.exercice.budget_id
        assert m.libelle == f"Encaissement titre {m.encaissement.piece.id_pce}"

    # One opening per budget and exercice; the account stays positive all year.
    assert SoldeOuverture.objects.count() == Exercice.objects.count()
    for exercice in Exercice.objects.select_related("budget"):
        balance = treasury.daily_balance(exercice.budget, exercice.annee)
        assert balance.date_ouverture == datetime.date(exercice.annee, 1, 1)
        assert all(day.solde > 0 for day in balance.days)

    # The Extranet finds a mandat by its invoice number, and shows the treasury.
    coll = Collectivite.objects.order_by("pk").first()
    user = make_user("volume@example.fr")
    grant(user, coll, "extranet", "consultation")
    client.force_login(user)
    facture = FacturePiece.objects.filter(collectivite=coll).order_by("pk").last()
    listing = client.get(f"/extranet/collectivites/{coll.pk}/paiements/", {"q": facture.numero})
    assert f'href="/extranet/mandats/{facture.piece_id}/"' in listing.content.decode()
    page = client.get(f"/extranet/collectivites/{coll.pk}/tresorerie/")
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html
    assert "Paiement VOL" in html or "Encaissement titre" in html


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
