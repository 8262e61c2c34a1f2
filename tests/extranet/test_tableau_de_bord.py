"""The tableau de bord: mandats and titres by state, the payment delay, the latest rejections."""

from __future__ import annotations

from decimal import Decimal

from pigp.extranet.queries import dashboard
from tests.extranet.conftest import urls


def test_states_delay_and_rejections(data, logged, reader):
    m = data.mandats
    exercice = m[0].exercice
    etats = {line.etat: line for line in dashboard.etats(exercice)["depense"]}
    assert etats["payee"].nombre == 3
    assert etats["payee"].montant == sum(p.mt_ttc for p in m[:3])
    assert etats["rejetee"].nombre == etats["recue"].nombre == etats["prise_en_charge"].nombre == 1
    [titres] = dashboard.etats(exercice)["recette"]
    assert titres.nombre == 2 and titres.montant == sum(t.mt_ttc for t in data.titres)

    # Received today; two paid in 10 days, one in 45: beyond the legal 30 days.
    delai = dashboard.delai(exercice)
    assert (delai.paid, delai.median_days, delai.beyond_legal) == (3, 10, 1)
    assert delai.average_days == Decimal("21.7") and delai.beyond_share == Decimal("33.3")

    page = logged(reader).get(urls(data)["tableau_de_bord"]).content.decode()
    assert "21,7 jours" in page and "10 jours" in page and "33,3 %" in page
    assert "09 — Domiciliation bancaire absente ou erronée" in page
    assert "Le RIB joint ne correspond pas au fournisseur." in page
    assert f'href="/extranet/mandats/{m[3].pk}/"' in page
    # Each state links to the list of its mandats.
    assert f"?exercice={exercice.annee}&amp;budget={exercice.budget_id}&amp;etat=payee" in page


def test_exercice_choice(data, logged, reader):
    from pigp.helios.models import Exercice

    older = Exercice.objects.create(budget=data.mandats[0].exercice.budget, annee=2020)
    client = logged(reader)
    page = client.get(urls(data)["tableau_de_bord"], {"exercice": older.pk}).content.decode()
    assert "exercice 2020" in page and "Aucun mandat de cet exercice n'a encore été payé." in page
    # An unknown exercice (of another collectivité, or none) shows the latest.
    page = client.get(urls(data)["tableau_de_bord"], {"exercice": "999999"}).content.decode()
    assert f"exercice {data.mandats[0].exercice.annee}" in page


def test_a_collectivite_without_any_flow(logged, reader, collectivite):
    page = logged(reader).get(f"/extranet/collectivites/{collectivite.pk}/").content.decode()
    assert "le tableau de bord se remplira avec le premier flux" in page


def test_the_default_exercice_is_where_the_comptable_worked_last(data, logged, reader):
    from pigp.core.models import Budget
    from pigp.helios.models import Exercice

    worked = data.mandats[0].exercice
    # Another budget of the same year, listed first, where nothing was taken in charge.
    idle_budget = Budget.objects.create(
        collectivite=data.collectivite, cod_col="054", cod_bud="00", libelle="Annexe sans activité"
    )
    idle = Exercice.objects.create(budget=idle_budget, annee=worked.annee)
    exercices, chosen = dashboard.chosen_exercice(data.collectivite, "")
    assert exercices[0] == idle and chosen == worked
    assert dashboard.chosen_exercice(data.collectivite, str(idle.pk))[1] == idle
    page = logged(reader).get(urls(data)["tableau_de_bord"]).content.decode()
    assert f'<option value="{worked.pk}" selected' in page


def test_the_figures_are_kept_until_the_ledger_moves(data, logged, reader):
    """Read back while the exercice's version holds (fewer queries, no aggregate over the
    pièces); a decision moves the version and the page shows it at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pigp.helios import states
    from pigp.helios.models import EtatPiece

    client = logged(reader)
    url = urls(data)["tableau_de_bord"]
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as again:
        page = client.get(url)
    assert len(again) < len(first)
    assert not any("GROUP BY" in q["sql"] for q in again.captured_queries)
    rejected_before = page.context["etats"]["depense"]
    before = {line.etat: line.nombre for line in rejected_before}
    states.transition(
        data.mandats[5], EtatPiece.REJETEE, actor="comptable@example.fr", motif_code="09"
    )
    after = {line.etat: line.nombre for line in client.get(url).context["etats"]["depense"]}
    assert after[EtatPiece.REJETEE] == before[EtatPiece.REJETEE] + 1
