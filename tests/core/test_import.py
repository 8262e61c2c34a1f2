import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pigp.core.imports import import_collectivites
from pigp.core.models import Budget, Collectivite, JournalEntry

pytestmark = pytest.mark.django_db

HEADER = "siret;nom;nature;codique;departement;cod_col;cod_bud;libelle_budget;nomenclature;actif\n"
GOOD = (
    HEADER
    + "21310395500018;Commune de Muret;commune;031042;31;395;00;Budget principal;M57;1\n"
    + "21310395500018;Commune de Muret;commune;031042;31;395;01;Eau;M4;1\n"
    + "20005426000019;CC du Volvestre;EPCI;031042;31;426;00;Budget principal;M57;oui\n"
)


def test_good_file_imports_everything_and_is_journaled(poste):
    result = import_collectivites(GOOD.encode())
    assert result.ok, result.errors
    assert (result.collectivites_created, result.budgets_created) == (2, 3)
    assert Budget.objects.filter(collectivite__siret="21310395500018").count() == 2
    assert Collectivite.objects.get(siret="20005426000019").nature == "epci"
    assert JournalEntry.objects.filter(action="import_collectivites").count() == 1
    again = import_collectivites(GOOD.encode())
    assert (again.collectivites_updated, again.budgets_updated, again.budgets_created) == (2, 3, 0)


def test_bad_rows_reported_and_nothing_half_imported(poste):
    bad = (
        GOOD
        + "21310395500019;Mauvais SIRET;commune;031042;31;395;02;Budget;M57;1\n"
        + "21810004800014;Albi;commune;999999;81;004;00;Budget;M57;1\n"
        + "21810004800014;Albi;commune;031042;81;004;XX;Budget;M57;1\n"
    )
    result = import_collectivites(bad.encode())
    assert not result.ok
    assert any(e.startswith("Ligne 5 :") and "SIRET" in e for e in result.errors)
    assert any(e.startswith("Ligne 6 :") and "999999" in e for e in result.errors)
    assert any(e.startswith("Ligne 7 :") and "CodBud" in e for e in result.errors)
    assert Collectivite.objects.count() == 0 and Budget.objects.count() == 0


def test_missing_columns_and_bad_encoding(poste):
    assert "Colonnes manquantes" in import_collectivites(b"siret;nom\n1;2\n").errors[0]
    latin1 = GOOD.replace("Eau", "Réseau d'eau").encode("cp1252")
    assert import_collectivites(latin1).ok


def test_command(tmp_path, poste, capsys):
    path = tmp_path / "c.csv"
    path.write_text(GOOD)
    call_command("import_collectivites", str(path))
    assert "2 collectivité(s) créée(s)" in capsys.readouterr().out
    path.write_text(HEADER + "1;X;commune;031042;31;395;00;B;M57;1\n")
    with pytest.raises(CommandError, match="Rien n'a été importé"):
        call_command("import_collectivites", str(path))


def test_unknown_nomenclature_names_the_allowed_values(poste):
    bad = HEADER + "21310395500018;Commune de Muret;commune;031042;31;395;00;Budget;M49;1\n"
    result = import_collectivites(bad.encode())
    assert not result.ok
    [error] = result.errors
    assert "Nomenclature « M49 » inconnue : valeurs admises M57, " in error
    assert "'M49'" not in error
