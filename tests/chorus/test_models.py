"""The models' own rules: identifiers validated, one invoice per supplier, number and year."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from pigp.chorus.models import (
    CompteFournisseur,
    Facture,
    Fournisseur,
    ServiceDestinataire,
    StructureDestinataire,
)
from tests.chorus.factories import make_facture


def test_a_supplier_siret_is_validated(db):
    with pytest.raises(ValidationError, match="n'est pas valide"):
        Fournisseur(siret="73282932000075", raison_sociale="Clé fausse").full_clean()
    Fournisseur(siret="73282932000074", raison_sociale="Juste").full_clean()


def test_a_siret_is_one_supplier(fournisseur):
    with pytest.raises(IntegrityError):
        Fournisseur.objects.create(siret=fournisseur.siret, raison_sociale="Copie")


def test_a_user_acts_for_one_supplier(fournisseur, other_fournisseur, supplier):
    assert supplier.compte_fournisseur.fournisseur == fournisseur
    with pytest.raises(IntegrityError):
        CompteFournisseur.objects.create(user=supplier, fournisseur=other_fournisseur)


def test_structure_settings_default_to_nothing_required(collectivite):
    structure = StructureDestinataire.objects.create(collectivite=collectivite)
    assert not structure.service_code_requis and not structure.engagement_requis


def test_a_service_code_is_unique_within_a_collectivite(collectivite, other_collectivite):
    ServiceDestinataire.objects.create(collectivite=collectivite, code="ST", libelle="A")
    ServiceDestinataire.objects.create(collectivite=other_collectivite, code="ST", libelle="B")
    with pytest.raises(IntegrityError):
        ServiceDestinataire.objects.create(collectivite=collectivite, code="ST", libelle="C")


def test_one_invoice_per_supplier_number_and_year(collectivite, fournisseur, other_fournisseur):
    first = make_facture(collectivite, fournisseur, numero="F-1")
    assert first.annee_emission == first.date_emission.year
    next_year = first.date_emission + datetime.timedelta(days=366)
    make_facture(collectivite, fournisseur, numero="F-1", date_emission=next_year)
    make_facture(collectivite, other_fournisseur, numero="F-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_facture(collectivite, fournisseur, numero="F-1")


def test_an_invoice_has_a_number(collectivite, fournisseur):
    facture = make_facture(collectivite, fournisseur)
    with pytest.raises(IntegrityError):
        Facture.objects.filter(pk=facture.pk).update(numero="")


def test_the_supplier_user_has_no_habilitation(supplier):
    assert not supplier.habilitations.exists()
