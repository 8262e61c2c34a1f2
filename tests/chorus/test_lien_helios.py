"""The Hélios link, end to end with the real components: an invoice follows the mandat that pays
it (09 → 10 → 11, or back with the motif on a rejet), found by the mandat's number or by the
invoice number, supplier and amount the PES carries; and it is one of the mandat's documents."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from pigp.chorus import receivers, traitement
from pigp.chorus.depot import deposer
from pigp.chorus.models import Facture, StatutFacture
from pigp.core.models import JournalEntry
from pigp.formats.pes import read_pes_aller
from pigp.formats.pes import records as r
from pigp.formats.pes.generator import generate_pes_aller
from pigp.helios import documents, states
from pigp.helios.models import CompteTresor, EtatPiece, Paiement, Piece
from pigp.helios.money import payments
from pigp.passerelle import intake
from pigp.passerelle.models import Flux, StatutFlux
from tests.chorus.factories import make_facture, make_fournisseur
from tests.chorus.samples import CII_EN16931, addressed
from tests.conftest import grant, make_user, verified_client
from tests.flows import _header
from tests.helios.test_payments_support import ICS, RUN_DAY, TRESOR_IBAN

pytestmark = pytest.mark.django_db(transaction=True)

S = StatutFacture
E = EtatPiece
ACTOR = "comptable@example.fr"


def write_pes(coll, path, **kw) -> list[r.Piece]:
    """A generated PES_Aller of `coll` at `path` (exercice 2026); its mandats, as read back."""
    kw = {"pieces": 2, "lignes": 1, "exercice": 2026, "seed": 7, **kw}
    generate_pes_aller(path, **_header(coll, None), nom_fic=path.stem, **kw)
    return [
        rec for rec in read_pes_aller(path) if isinstance(rec, r.Piece) and rec.domaine == "depense"
    ]


def siret_of(mandat: r.Piece) -> str:
    """The SIRET of the tiers a generated mandat pays."""
    return mandat.lignes[0].tiers[0].id_tiers


def receive(coll, path) -> Flux:
    with path.open("rb") as fh:
        [received] = intake.receive(fh, filename=path.name, collectivite=coll, canal="web")
    flux = Flux.objects.get(pk=received.flux.pk)
    assert flux.statut == StatutFlux.ACQUITTE, flux.message
    return flux


@pytest.fixture
def compte(poste):
    return CompteTresor.objects.create(
        poste=poste, titulaire="DGFIP SGC MURET", iban=TRESOR_IBAN, bic="BDFEFRPPCCT", ics=ICS
    )


@pytest.fixture
def deposited(fournisseur, supplier, collectivite):
    """A real invoice deposited by the supplier, at 03."""
    data = addressed(CII_EN16931, fournisseur.siret, collectivite.siret, number="FA-2026-001")
    facture = deposer(fournisseur, supplier, data, "facture.xml").facture
    assert facture.statut == S.MISE_A_DISPOSITION
    return facture


def statuts_of(facture: Facture) -> list[str]:
    return list(facture.events.order_by("at", "pk").values_list("statut", flat=True))


def test_an_invoice_follows_its_mandat_to_payment(
    deposited, entitled, collectivite, tmp_path, compte
):
    mandats = write_pes(collectivite, tmp_path / "PES_1.xml")
    numero = mandats[0].id_pce
    traitement.traiter(deposited, S.SERVICE_FAIT, actor=entitled)
    traitement.traiter(deposited, S.MANDATEE, actor=entitled, numero_mandat=numero)
    assert Facture.objects.get(pk=deposited.pk).statut == S.MANDATEE  # not in the ledger yet

    receive(collectivite, tmp_path / "PES_1.xml")
    facture = Facture.objects.get(pk=deposited.pk)
    mandat = Piece.objects.get(collectivite=collectivite, id_pce=numero, domaine="depense")
    assert facture.statut == S.MISE_A_DISPOSITION_COMPTABLE and facture.mandat == mandat

    states.transition(mandat, E.PRISE_EN_CHARGE, actor=ACTOR, when=datetime.date(2026, 3, 16))
    assert Facture.objects.get(pk=deposited.pk).statut == S.COMPTABILISEE

    # Only this invoice's mandat is paid: the other one stays unpaid.
    other = Piece.objects.filter(collectivite=collectivite, domaine="depense").exclude(pk=mandat.pk)
    result = payments.run_payments(
        collectivite, RUN_DAY, actor=ACTOR, exclude=list(other.values_list("pk", flat=True))
    )
    paid = Paiement.objects.get(run=result.run, piece=mandat)
    facture = Facture.objects.get(pk=deposited.pk)
    assert facture.statut == S.MISE_EN_PAIEMENT
    assert facture.date_paiement == RUN_DAY and facture.reference_paiement == paid.reference
    assert statuts_of(facture) == ["01", "02", "03", "07", "08", "09", "10", "11"]
    assert set(
        facture.events.filter(statut__in=["09", "10", "11"]).values_list("actor_label", flat=True)
    ) == {"Hélios"}
    assert (
        JournalEntry.objects.filter(
            action="chorus_facture_statut", object_id=str(facture.pk), actor_label="Hélios"
        ).count()
        == 3
    )


def test_the_invoice_number_supplier_and_amount_the_pes_carries_link_it(collectivite, tmp_path):
    path = tmp_path / "PES_2.xml"
    mandats = write_pes(collectivite, path, seed=8)
    first = mandats[0]
    siret = siret_of(first)
    fournisseur = make_fournisseur(siret, "Entreprise du mandat")
    amount = str(first.mt_ht + first.mt_tva)
    facture = make_facture(
        collectivite, fournisseur, statut=S.SERVICE_FAIT, numero=first.factures[0], ttc=amount
    )
    # Same number and supplier, other amount: not this mandat's invoice.
    wrong = make_facture(
        collectivite,
        fournisseur,
        statut=S.SERVICE_FAIT,
        numero=mandats[1].factures[0],
        ttc=str(mandats[1].mt_ht + Decimal("1")),
    )
    receive(collectivite, path)
    facture.refresh_from_db()
    assert facture.statut == S.MISE_A_DISPOSITION_COMPTABLE
    assert facture.numero_mandat == first.id_pce and facture.mandat.id_pce == first.id_pce
    assert statuts_of(facture)[-2:] == ["08", "09"]
    wrong.refresh_from_db()
    assert wrong.statut == S.SERVICE_FAIT and wrong.mandat is None  # left as it was
    # and Hélios' reception committed all the same
    assert Piece.objects.filter(collectivite=collectivite, domaine="depense").count() == 2


def test_a_rejected_or_paid_invoice_never_moves(collectivite, tmp_path):
    path = tmp_path / "PES_3.xml"
    mandats = write_pes(collectivite, path, seed=9)
    fournisseur = make_fournisseur(siret_of(mandats[0]), "Entreprise")
    rejected = make_facture(
        collectivite,
        fournisseur,
        statut=S.REJETEE,
        numero=mandats[0].factures[0],
        ttc=str(mandats[0].mt_ht),
    )
    receive(collectivite, path)
    rejected.refresh_from_db()
    assert rejected.statut == S.REJETEE and rejected.mandat is None


def test_a_rejected_mandat_puts_the_invoice_back_with_the_motif(
    deposited, entitled, collectivite, tmp_path, mailoutbox
):
    mandats = write_pes(collectivite, tmp_path / "PES_4.xml", seed=10)
    numero = mandats[1].id_pce
    traitement.traiter(deposited, S.SERVICE_FAIT, actor=entitled)
    traitement.traiter(deposited, S.MANDATEE, actor=entitled, numero_mandat=numero)
    receive(collectivite, tmp_path / "PES_4.xml")
    mandat = Piece.objects.get(collectivite=collectivite, id_pce=numero, domaine="depense")
    states.transition(mandat, E.REJETEE, actor=ACTOR, motif_code="01", commentaire="RIB absent")

    facture = Facture.objects.get(pk=deposited.pk)
    assert facture.statut == S.SERVICE_FAIT  # service fait was stated
    assert facture.mandat is None and facture.numero_mandat == ""
    assert f"Mandat n° {numero} rejeté" in facture.motif
    assert "Absence totale ou invalidité des pièces justificatives" in facture.motif
    assert "RIB absent" in facture.motif
    assert facture.events.last().motif == facture.motif
    # The supplier is told, with the motif.
    last = mailoutbox[-1]
    assert "Service fait" in last.subject and "RIB absent" in last.body
    assert deposited.fournisseur.email in [*last.to, *last.bcc]
    mandat.refresh_from_db()
    assert mandat.etat == E.REJETEE  # Hélios' decision committed


def test_without_service_fait_the_rejected_invoice_goes_back_to_03(
    deposited, entitled, collectivite, tmp_path
):
    mandats = write_pes(collectivite, tmp_path / "PES_5.xml", seed=12)
    numero = mandats[0].id_pce
    traitement.traiter(deposited, S.MANDATEE, actor=entitled, numero_mandat=numero)
    receive(collectivite, tmp_path / "PES_5.xml")
    mandat = Piece.objects.get(collectivite=collectivite, id_pce=numero, domaine="depense")
    states.transition(mandat, E.REJETEE, actor=ACTOR, motif_code="04", commentaire="")
    facture = Facture.objects.get(pk=deposited.pk)
    assert facture.statut == S.MISE_A_DISPOSITION and "Liquidation erronée" in facture.motif


def test_mandater_with_a_mandat_already_in_the_ledger_links_it_at_once(
    deposited, entitled, collectivite, tmp_path
):
    mandats = write_pes(collectivite, tmp_path / "PES_6.xml", seed=13)
    receive(collectivite, tmp_path / "PES_6.xml")
    mandat = Piece.objects.get(
        collectivite=collectivite, id_pce=mandats[0].id_pce, domaine="depense"
    )
    states.transition(mandat, E.PRISE_EN_CHARGE, actor=ACTOR)
    traitement.traiter(deposited, S.MANDATEE, actor=entitled, numero_mandat=mandat.id_pce)
    facture = Facture.objects.get(pk=deposited.pk)
    assert facture.mandat == mandat and facture.statut == S.COMPTABILISEE


def test_mandater_page_lists_the_mandats_of_the_collectivite(
    client, deposited, entitled, collectivite, tmp_path
):
    mandats = write_pes(collectivite, tmp_path / "PES_7.xml", seed=14)
    receive(collectivite, tmp_path / "PES_7.xml")
    c = verified_client(client, entitled)
    url = reverse("chorus:facture", args=[deposited.pk])
    html = c.get(url, {"mandat": mandats[0].id_pce}).content.decode()
    assert f'value="{mandats[0].id_pce}"' in html


# --- documents of the mandat ------------------------------------------------------------------


@pytest.fixture
def provider():
    """The provider `ChorusConfig.ready` registered, untouched by other tests (each test's
    registrations are undone: tests/conftest.py)."""
    assert documents._providers["chorus"] is receivers.invoices_of_pieces


@pytest.fixture
def linked(provider, deposited, entitled, collectivite, tmp_path):
    mandats = write_pes(collectivite, tmp_path / "PES_8.xml", seed=15)
    traitement.traiter(deposited, S.MANDATEE, actor=entitled, numero_mandat=mandats[0].id_pce)
    receive(collectivite, tmp_path / "PES_8.xml")
    facture = Facture.objects.get(pk=deposited.pk)
    assert facture.mandat is not None
    return facture


def test_the_invoice_is_a_document_of_its_mandat(
    client, linked, comptable, collectivite, other_comptable, outsider
):
    pdf_url = reverse("chorus:facture_pdf", args=[linked.pk])
    label = f"Facture n° {linked.numero} — {linked.fournisseur.raison_sociale}"

    # The comptable of the poste, on the Hélios pièce's page.
    c = verified_client(client, comptable)
    html = c.get(reverse("helios:piece", args=[linked.mandat_id])).content.decode()
    assert label in html and pdf_url in html
    response = c.get(pdf_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    response.close()
    client.logout()

    # The ordonnateur with an Extranet habilitation only, on the extranet's mandat page.
    ordonnateur = make_user("extranet.seul@example.fr")
    grant(ordonnateur, collectivite, "extranet", "consultation")
    c = verified_client(client, ordonnateur)
    html = c.get(reverse("extranet:mandat", args=[linked.mandat_id])).content.decode()
    assert label in html and pdf_url in html
    response = c.get(pdf_url)
    assert response.status_code == 200
    response.close()
    client.logout()

    for stranger in (other_comptable, outsider):
        c = verified_client(client, stranger)
        assert c.get(pdf_url).status_code == 404
        client.logout()


def test_the_pdf_of_an_xml_invoice_is_rendered_at_deposit_or_once_on_demand(
    client, deposited, entitled
):
    stored = deposited.pdf
    assert stored is not None and stored.media_type == "application/pdf"
    # An invoice without its rendering (deposited before, or the rendering failed): on demand.
    Facture.objects.filter(pk=deposited.pk).update(pdf=None)
    c = verified_client(client, entitled)
    url = reverse("chorus:facture_pdf", args=[deposited.pk])
    response = c.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    response.close()
    again = Facture.objects.get(pk=deposited.pk).pdf
    assert again is not None
    c.get(url).close()
    assert Facture.objects.get(pk=deposited.pk).pdf == again


def test_the_invoice_page_shows_the_xml_invoice_rendered(client, deposited, entitled, reader):
    for user in (entitled, reader):
        c = verified_client(client, user)
        html = c.get(reverse("chorus:facture", args=[deposited.pk])).content.decode()
        assert 'class="pigp-facture"' in html and "chorus/chorus.css" in html
        assert "471102" not in html or "FA-2026-001" in html
        client.logout()


def test_several_invoices_on_one_mandat_all_move(fournisseur, entitled, collectivite, tmp_path):
    mandats = write_pes(collectivite, tmp_path / "PES_9.xml", seed=16)
    numero = mandats[0].id_pce
    factures = [
        make_facture(collectivite, fournisseur, statut=S.SERVICE_FAIT, numero=f"F-{n}")
        for n in (1, 2)
    ]
    for facture in factures:
        traitement.traiter(facture, S.MANDATEE, actor=entitled, numero_mandat=numero)
    receive(collectivite, tmp_path / "PES_9.xml")
    mandat = Piece.objects.get(collectivite=collectivite, id_pce=numero, domaine="depense")
    states.transition(mandat, E.PRISE_EN_CHARGE, actor=ACTOR)
    assert set(Facture.objects.filter(mandat=mandat).values_list("statut", flat=True)) == {
        S.COMPTABILISEE
    }
    assert Facture.objects.filter(mandat=mandat).count() == 2


def test_the_receivers_cost_a_few_queries_when_no_invoice_is_concerned(
    collectivite, tmp_path, django_assert_max_num_queries
):
    from pigp.chorus import lien_helios

    write_pes(collectivite, tmp_path / "PES_10.xml", seed=17, pieces=50)
    receive(collectivite, tmp_path / "PES_10.xml")
    ids = list(Piece.objects.filter(domaine="depense").values_list("pk", flat=True))
    assert len(ids) == 50
    with django_assert_max_num_queries(4):
        lien_helios.on_received(
            piece_ids=ids, collectivite_id=collectivite.pk, domaine="depense", lived=False
        )
    with django_assert_max_num_queries(1):
        lien_helios.on_moved(piece_ids=ids, to=E.PAYEE, domaine="depense", day=RUN_DAY, payments={})


def test_picking_a_mandat_from_the_page(
    client, deposited, entitled, reader, outsider, collectivite, tmp_path
):
    mandats = write_pes(collectivite, tmp_path / "PES_11.xml", seed=18)
    receive(collectivite, tmp_path / "PES_11.xml")
    mandat = Piece.objects.get(
        collectivite=collectivite, id_pce=mandats[1].id_pce, domaine="depense"
    )
    url = reverse("chorus:mandater", args=[deposited.pk])
    page = reverse("chorus:facture", args=[deposited.pk])
    data = {"numero_mandat": mandat.id_pce, "mandat": mandat.pk}

    c = verified_client(client, outsider)
    assert c.get(page, {"mandat": mandat.id_pce}).status_code == 404
    assert c.post(url, data).status_code == 404
    client.logout()

    c = verified_client(client, reader)
    html = c.get(page, {"mandat": mandat.id_pce}).content.decode()
    assert "Chercher dans Hélios" not in html  # read-only: no action
    assert c.post(url, data).status_code == 403
    client.logout()

    c = verified_client(client, entitled)
    html = c.get(page, {"mandat": mandat.id_pce}).content.decode()
    assert f'name="mandat" value="{mandat.pk}"' in html
    assert c.post(url, data).status_code == 302
    facture = Facture.objects.get(pk=deposited.pk)
    assert facture.mandat == mandat and facture.statut == S.MISE_A_DISPOSITION_COMPTABLE

    # A pièce of another number, or of another collectivité, is refused.
    other = make_facture(collectivite, deposited.fournisseur, statut=S.SERVICE_FAIT)
    response = c.post(
        reverse("chorus:mandater", args=[other.pk]),
        {"numero_mandat": "999999", "mandat": mandat.pk},
        follow=True,
    )
    assert "pas un mandat de la collectivité" in response.content.decode()
    assert Facture.objects.get(pk=other.pk).statut == S.SERVICE_FAIT


def test_mandats_arriving_with_their_life_lived_take_the_invoice_along(
    fournisseur, collectivite, mailoutbox
):
    """The volume seed sends `pieces_received` with `lived=True`: the invoice follows at once."""
    from pigp.chorus import lien_helios
    from tests.helios.test_payments_support import Ledger

    ledger = Ledger(collectivite)
    paid = ledger.piece("depense", "120.00", etat=E.PAYEE, id_pce="77", date_paiement=RUN_DAY)
    facture = make_facture(collectivite, fournisseur, statut=S.MANDATEE, numero_mandat="77")
    lien_helios.on_received(
        piece_ids=[paid.pk], collectivite_id=collectivite.pk, domaine="depense", lived=True
    )
    facture.refresh_from_db()
    assert facture.statut == S.MISE_EN_PAIEMENT and facture.mandat == paid
    assert facture.date_paiement == RUN_DAY and facture.reference_paiement == ""
    assert statuts_of(facture)[-3:] == ["09", "10", "11"]
    assert len(mailoutbox) == 1  # the status reached, once
