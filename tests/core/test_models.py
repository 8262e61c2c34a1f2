import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from pigp.core.models import (
    Budget,
    Collectivite,
    Habilitation,
    Juridiction,
    NatureCollectivite,
    PosteComptable,
    StatutHabilitation,
    User,
)
from tests.conftest import grant, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("codique", ["031042", "0310421", "02A123", "02B1234"])
def test_good_codique_accepted(codique):
    PosteComptable(codique=codique, nom="Poste").full_clean()


@pytest.mark.parametrize("codique", ["31042", "03104212", "02C123", "ABCDEF", ""])
def test_bad_codique_refused_with_french_message(codique):
    with pytest.raises(ValidationError) as exc:
        PosteComptable(codique=codique, nom="Poste").full_clean()
    assert "codique" in exc.value.message_dict
    if codique:
        assert "n'est pas valide" in exc.value.message_dict["codique"][0]


def test_bad_siret_refused(poste):
    coll = Collectivite(
        siret="21310555400018",
        nom="X",
        nature=NatureCollectivite.COMMUNE,
        poste=poste,
        departement="31",
    )
    with pytest.raises(ValidationError) as exc:
        coll.full_clean()
    assert "clé de contrôle" in exc.value.message_dict["siret"][0]


def test_good_siret_accepted(poste):
    Collectivite(
        siret="21310555400017",
        nom="X",
        nature=NatureCollectivite.COMMUNE,
        poste=poste,
        departement="31",
    ).full_clean()


@pytest.mark.parametrize("cod_bud", ["0", "001", "a1", "1A", "--"])
def test_bad_cod_bud_refused(collectivite, cod_bud):
    with pytest.raises(ValidationError) as exc:
        Budget(collectivite=collectivite, cod_col="055", cod_bud=cod_bud, libelle="B").full_clean()
    assert "CodBud" in exc.value.message_dict["cod_bud"][0]


@pytest.mark.parametrize("cod_col", ["55", "0555", "A55"])
def test_bad_cod_col_refused(collectivite, cod_col):
    with pytest.raises(ValidationError) as exc:
        Budget(collectivite=collectivite, cod_col=cod_col, cod_bud="01", libelle="B").full_clean()
    assert "CodCol" in exc.value.message_dict["cod_col"][0]


def test_budget_unique_per_collectivite(collectivite):
    with pytest.raises(IntegrityError):
        Budget.objects.create(
            collectivite=collectivite, cod_col="055", cod_bud="00", libelle="Doublon"
        )


def test_juridiction_departements_checked():
    with pytest.raises(ValidationError):
        Juridiction(nom="CRC", departements="31, 99").full_clean()
    crc = Juridiction(nom="CRC", departements="31, 2A, 974")
    crc.full_clean()
    assert crc.departement_codes() == ["31", "2A", "974"]


def test_user_logs_in_with_email_case_insensitively(db):
    make_user("Marie.Dupont@Example.fr")
    assert (
        User.objects.get_by_natural_key("marie.dupont@example.fr").email
        == "marie.dupont@example.fr"
    )


def test_roles_and_second_factor_requirement(poste, juridiction):
    assert make_user("a@example.fr", poste=poste).requires_second_factor
    assert make_user("b@example.fr", is_national_admin=True).requires_second_factor
    juge = make_user("c@example.fr", juridiction=juridiction)
    assert juge.is_juge and not juge.requires_second_factor
    assert not make_user("d@example.fr").requires_second_factor


def test_only_one_open_habilitation_per_application(collectivite):
    user = make_user("x@example.fr")
    grant(user, collectivite, "passerelle")
    with pytest.raises(IntegrityError):
        grant(user, collectivite, "passerelle")


def test_closed_habilitation_does_not_block_a_new_one(collectivite):
    user = make_user("x@example.fr")
    old = grant(user, collectivite, "passerelle")
    Habilitation.objects.filter(pk=old.pk).update(statut=StatutHabilitation.REVOQUEE)
    grant(user, collectivite, "passerelle")
    assert Habilitation.objects.filter(user=user).count() == 2


def test_in_force_respects_end_date(collectivite):
    user = make_user("x@example.fr")
    today = timezone.localdate()
    grant(user, collectivite, "passerelle", date_fin=today)
    grant(user, collectivite, "extranet", date_fin=today - datetime.timedelta(days=1))
    grant(user, collectivite, "orc")
    in_force = set(
        Habilitation.objects.in_force().filter(user=user).values_list("application", flat=True)
    )
    assert in_force == {"passerelle", "orc"}
