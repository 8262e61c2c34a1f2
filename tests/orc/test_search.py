"""The search service on a known set: every criterion, the full text with French stemming and
highlighted excerpts, sorting, paging and the capped count — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pigp.orc import search
from pigp.orc.search import Criteria
from tests.orc.factories import make_unit

D = datetime.date


@pytest.fixture
def known(collectivite, other_collectivite, poste):
    """Five units of the collectivité, one of another; returns {name: unit}."""
    from pigp.core.models import Budget

    annexe = Budget.objects.create(
        collectivite=collectivite, cod_col="055", cod_bud="01", libelle="Budget de l'eau"
    )
    units = {
        "papeterie": make_unit(
            collectivite,
            annee=2022,
            numero="101",
            numero_bordereau="7",
            objet="Ramettes de papier",
            tiers_nom="Papeterie du Midi",
            tiers_siret="73282932000074",
            mt_ttc=Decimal("120.00"),
            natures="6064",
            fonctions="020",
            numeros_factures="FA-2022-001",
            texte="Facture de fournitures de bureau livrées à la mairie",
            date_emission=D(2022, 3, 2),
            date_prise_en_charge=D(2022, 3, 9),
            date_paiement=D(2022, 3, 20),
        ),
        "travaux": make_unit(
            collectivite,
            annee=2023,
            numero="205",
            numero_bordereau="15",
            objet="Réfection de la toiture de l'école",
            tiers_nom="Toitures Occitanes SARL",
            tiers_siret="44306184100047",
            mt_ttc=Decimal("48500.00"),
            natures="2313",
            fonctions="212",
            numeros_factures="T-889",
            texte="Devis et procès-verbal de réception des travaux de couverture",
            date_emission=D(2023, 9, 1),
            date_prise_en_charge=D(2023, 9, 5),
            date_paiement=D(2023, 10, 2),
        ),
        "eau": make_unit(
            collectivite,
            annee=2023,
            budget=annexe,
            numero="12",
            numero_bordereau="3",
            objet="Analyses de la qualité de l'eau",
            tiers_nom="Laboratoire départemental",
            tiers_siret="22310001700021",
            mt_ttc=Decimal("860.40"),
            natures="611",
            fonctions="811",
            texte="Rapport d'analyses bactériologiques",
            date_emission=D(2023, 5, 10),
            date_prise_en_charge=D(2023, 5, 12),
            date_paiement=D(2023, 6, 1),
        ),
        "titre": make_unit(
            collectivite,
            annee=2023,
            domaine="recette",
            numero="88",
            numero_bordereau="4",
            objet="Loyer du logement communal",
            tiers_nom="Martin Jeanne",
            tiers_siret="",
            mt_ttc=Decimal("650.00"),
            natures="752",
            fonctions="71",
            texte="Avis des sommes à payer, loyer de mars",
            date_emission=D(2023, 3, 1),
            date_prise_en_charge=D(2023, 3, 3),
            date_paiement=None,
        ),
        "cantine": make_unit(
            collectivite,
            annee=2024,
            numero="301",
            numero_bordereau="21",
            objet="Repas de la cantine scolaire",
            tiers_nom="Cuisine Centrale du Lauragais",
            tiers_siret="51234567800013",
            mt_ttc=Decimal("3200.00"),
            natures="6042 6188",
            fonctions="251",
            numeros_factures="CC-1 CC-2",
            texte="Factures mensuelles des repas servis",
            date_emission=D(2024, 2, 5),
            date_prise_en_charge=D(2024, 2, 8),
            date_paiement=D(2024, 2, 28),
        ),
        "ailleurs": make_unit(
            other_collectivite,
            annee=2023,
            numero="101",
            objet="Ramettes de papier",
            tiers_nom="Papeterie du Midi",
            texte="Facture de fournitures de bureau",
        ),
    }
    return units


@pytest.fixture
def orc_user(collectivite):
    from tests.conftest import grant, make_user

    user = make_user("orc@example.fr")
    grant(user, collectivite, "orc", "consultation")
    return user


def found(user, **criteria) -> set[int]:
    results = search.search(user, Criteria(**criteria), per_page=100)
    return {u.pk for u in results.rows}


def ids(known, *names) -> set[int]:
    return {known[n].pk for n in names}


MINE = ("papeterie", "travaux", "eau", "titre", "cantine")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({}, MINE),
        ({"exercice": 2023}, ("travaux", "eau", "titre")),
        ({"domaine": "recette"}, ("titre",)),
        ({"domaine": "depense", "exercice": 2023}, ("travaux", "eau")),
        ({"bordereau": "15"}, ("travaux",)),
        ({"numero": "101"}, ("papeterie",)),
        ({"tiers": "toitures"}, ("travaux",)),
        ({"tiers": "CENTRALE du"}, ("cantine",)),
        ({"siret": "443 061 841 00047"}, ("travaux",)),
        ({"montant_min": Decimal("650")}, ("travaux", "eau", "titre", "cantine")),
        ({"montant_max": Decimal("860.40")}, ("papeterie", "eau", "titre")),
        ({"montant_min": Decimal("700"), "montant_max": Decimal("5000")}, ("eau", "cantine")),
        ({"emis_min": D(2023, 5, 10), "emis_max": D(2023, 9, 1)}, ("travaux", "eau")),
        ({"pris_en_charge_min": D(2024, 1, 1)}, ("cantine",)),
        ({"pris_en_charge_max": D(2022, 12, 31)}, ("papeterie",)),
        ({"paye_min": D(2023, 6, 1), "paye_max": D(2023, 12, 31)}, ("travaux", "eau")),
        ({"objet": "TOITURE"}, ("travaux",)),
        ({"nature": "6064"}, ("papeterie",)),
        ({"nature": "60"}, ("papeterie", "cantine")),
        ({"nature": "6188"}, ("cantine",)),
        ({"fonction": "811"}, ("eau",)),
        ({"facture": "t-889"}, ("travaux",)),
        ({"facture": "CC-2"}, ("cantine",)),
        ({"texte": "bactériologiques"}, ("eau",)),
        ({"texte": "bacteriologique"}, ("eau",)),
        ({"texte": "factures"}, ("papeterie", "cantine")),
        ({"texte": "facture"}, ("papeterie", "cantine")),
        ({"texte": "toiture"}, ("travaux",)),
        ({"texte": "couverture travaux"}, ("travaux",)),
        ({"texte": "fournitures repas"}, ()),
        ({"texte": "loyer", "exercice": 2022}, ()),
    ],
)
def test_each_criterion_finds_exactly_its_units(known, orc_user, criteria, expected):
    assert found(orc_user, **criteria) == ids(known, *expected)


@pytest.mark.django_db
def test_collectivite_and_budget(known, orc_user, collectivite, other_collectivite):
    eau = known["eau"]
    assert found(orc_user, collectivite=collectivite.pk) == ids(known, *MINE)
    assert found(orc_user, budget=eau.budget_id) == {eau.pk}
    # Another collectivité is never searched, even when asked for.
    assert found(orc_user, collectivite=other_collectivite.pk) == set()


@pytest.mark.django_db
def test_juge_and_comptable_search_their_perimeter(
    known, juridiction, comptable, other_comptable, outsider
):
    from tests.conftest import make_user

    juge = make_user("juge@example.fr", juridiction=juridiction)
    assert found(juge, numero="101") == ids(known, "papeterie", "ailleurs")  # 31 and 81
    assert found(comptable) == ids(known, *MINE)
    assert found(other_comptable) == ids(known, "ailleurs")
    assert found(outsider) == set()


@pytest.mark.django_db
def test_full_text_excerpt_is_highlighted_and_escaped(collectivite, orc_user):
    unit = make_unit(
        collectivite,
        objet="Achat <script>alert(1)</script>",
        texte="Le marché de <b>voirie</b> : facturation des enrobés \u2045 posés en 2023",
    )
    results = search.search(orc_user, Criteria(texte="voirie"))
    assert [u.pk for u in results.rows] == [unit.pk]
    excerpt = str(results.excerpts[unit.pk])
    assert "<mark>voirie</mark>" in excerpt
    assert "<script>" not in excerpt
    assert "<b>" not in excerpt  # escaped (FTS5) or dropped as markup (ts_headline)
    assert "\u2045" not in excerpt


@pytest.mark.django_db
def test_sorting_is_stable_on_every_column_and_paging_covers_everything(known, orc_user):
    for key in search.SORTS:
        for tri in (key, f"-{key}"):
            seen: list[int] = []
            page = 1
            while True:
                results = search.search(orc_user, Criteria(), tri=tri, page=page, per_page=2)
                assert results.tri == tri
                seen += [u.pk for u in results.rows]
                if not results.has_next():
                    break
                page += 1
            assert sorted(seen) == sorted(ids(known, *MINE)), tri
    amounts = [
        u.mt_ttc for u in search.search(orc_user, Criteria(), tri="-montant", per_page=10).rows
    ]
    assert amounts == sorted(amounts, reverse=True)


@pytest.mark.django_db
def test_unknown_sort_and_page_fall_back(known, orc_user):
    results = search.search(orc_user, Criteria(), tri="; DROP TABLE", page=99, per_page=2)
    assert results.tri == search.DEFAULT_SORT
    assert results.page == results.pages == 3


@pytest.mark.django_db
def test_count_is_capped(collectivite, orc_user, monkeypatch):
    for _ in range(4):
        make_unit(collectivite)
    monkeypatch.setattr(search, "CAP", 3)
    results = search.search(orc_user, Criteria(), per_page=2)
    assert results.count == 3
    assert results.capped
    assert results.pages == 2


@pytest.mark.django_db
def test_index_follows_updates_and_deletes(collectivite, orc_user):
    unit = make_unit(collectivite, texte="Convention de déneigement")
    assert found(orc_user, texte="déneigement") == {unit.pk}
    unit.texte = "Convention d'élagage"
    unit.save()
    assert found(orc_user, texte="déneigement") == set()
    assert found(orc_user, texte="élagage") == {unit.pk}
    unit.delete()
    assert found(orc_user, texte="élagage") == set()


@pytest.mark.django_db
def test_index_survives_a_table_rebuild(collectivite, orc_user):
    """A later migration altering the table rebuilds it on SQLite; `ensure_index` (run after
    every migrate) puts the full-text triggers back."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER orc_archiveunit_fts_ai")
    search.ensure_index()
    unit = make_unit(collectivite, texte="Fauchage des accotements")
    assert found(orc_user, texte="accotement") == {unit.pk}


@pytest.mark.parametrize(
    ("word", "stem"),
    [("factures", "factur"), ("facture", "factur"), ("facturation", "factur"),
     ("Élagages", "elagag"), ("bureaux", "bureau"), ("eau", "eau")],
)  # fmt: skip
def test_light_french_stem(word, stem):
    assert search.stem(word) == stem


@given(st.text(max_size=60))
def test_fts5_query_never_carries_syntax(text):
    query = search.fts5_query(text)
    for term in filter(None, query.split(" ")):
        assert term.startswith('"') and term.endswith('"*')
        assert '"' not in term[1:-2]


@pytest.mark.django_db
def test_any_text_is_a_valid_query(collectivite, orc_user):
    make_unit(collectivite, texte="Rien de particulier")
    for text in [
        "_",
        "___ x",
        "l'",
        "·",
        '"',
        "NEAR(a b)",
        "a AND OR",
        "*",
        "-x",
        "l'été",
        "'; --",
        "\u2045",
    ]:
        search.search(orc_user, Criteria(texte=text))


@pytest.mark.django_db
def test_numbers_sort_as_numbers(collectivite, orc_user):
    for numero in ("10", "9", "100", "11"):
        make_unit(collectivite, numero=numero, numero_bordereau=numero)
    for tri in ("numero", "bordereau"):
        rows = search.search(orc_user, Criteria(), tri=tri).rows
        assert [u.numero for u in rows] == ["9", "10", "11", "100"]
        rows = search.search(orc_user, Criteria(), tri=f"-{tri}").rows
        assert [u.numero for u in rows] == ["100", "11", "10", "9"]
