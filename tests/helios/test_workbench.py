"""The comptable's workbench: who sees it, the queue, the bordereau and pièce pages, the actions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pigp.core.models import JournalEntry
from pigp.helios.models import (
    Bordereau,
    EtatPiece,
    Piece,
    PieceEvent,
    PieceJustificative,
    Tiers,
)
from tests.conftest import verified_client
from tests.helios.conftest import PDF


def all_urls(bordereau: Bordereau) -> list[tuple[str, str, dict]]:
    piece = bordereau.pieces.order_by("id").first()
    pj = PieceJustificative.objects.filter(id_unique=piece.pj_refs.first().id_unique).get()
    coll = bordereau.exercice.budget.collectivite
    reject = {"action": "rejeter", "motifs": ["01"], "commentaire": "PJ manquante"}
    return [
        ("get", reverse("helios:queue"), {}),
        ("get", reverse("helios:collectivite", args=[coll.pk]), {}),
        ("get", reverse("helios:bordereau", args=[bordereau.pk]), {}),
        ("get", reverse("helios:piece", args=[piece.pk]), {}),
        ("get", reverse("helios:pj", args=[pj.pk]), {}),
        (
            "post",
            reverse("helios:bordereau_action", args=[bordereau.pk]),
            {**reject, "portee": "tout"},
        ),
        (
            "post",
            reverse("helios:bordereau_action", args=[bordereau.pk]),
            {"action": "prendre-en-charge", "portee": "tout"},
        ),
        ("post", reverse("helios:piece_action", args=[piece.pk]), reject),
        ("post", reverse("helios:piece_action", args=[piece.pk]), {"action": "prendre-en-charge"}),
        (
            "post",
            reverse("helios:piece_action", args=[piece.pk]),
            {"action": "mettre-en-instance", "motifs": ["02"], "commentaire": "x"},
        ),
    ]


URL_COUNT = 10


# -- who may see it -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("index", range(URL_COUNT))
@pytest.mark.parametrize(
    "who", ["other_comptable", "entitled", "reader", "outsider", "national_admin"]
)
def test_everyone_but_the_postes_agents_gets_404(client, make_bordereau, request, who, index):
    user = request.getfixturevalue(who)
    bordereau = make_bordereau(2)
    method, url, data = all_urls(bordereau)[index]
    response = getattr(verified_client(client, user), method)(url, data)
    if who == "other_comptable" and url == reverse("helios:queue"):
        # Their own queue, in which nothing of this poste appears.
        assert response.status_code == 200
        assert not response.context["rows"] and not response.context["counts"]
        assert b"Saint-Orens" not in response.content
    else:
        assert response.status_code == 404, (who, url)
    assert b"Entreprise Dupont" not in response.content
    assert not Piece.objects.exclude(etat=EtatPiece.RECUE).exists()
    assert not PieceEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("index", range(URL_COUNT))
def test_anonymous_is_sent_to_login(client, make_bordereau, index):
    method, url, data = all_urls(make_bordereau(2))[index]
    response = getattr(client, method)(url, data)
    assert response.status_code == 302 and "/connexion/" in response["Location"]
    assert not PieceEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("index", range(URL_COUNT))
def test_the_postes_comptable_reaches_every_page_and_action(
    client, comptable, make_bordereau, index
):
    method, url, data = all_urls(make_bordereau(2))[index]
    response = getattr(verified_client(client, comptable), method)(url, data)
    response.close()  # the PJ is streamed from an open file
    assert response.status_code in (200, 302), url
    if method == "post":
        assert response.status_code == 302 and "/helios/" in response["Location"]


@pytest.mark.django_db
def test_comptable_without_second_factor_is_sent_to_it(client, comptable, make_bordereau):
    make_bordereau(1)
    client.force_login(comptable)
    response = client.get(reverse("helios:queue"))
    assert response.status_code == 302 and "/securite/" in response["Location"]


@pytest.mark.django_db
def test_actions_are_post_only(client, comptable, make_bordereau):
    b = make_bordereau(1)
    c = verified_client(client, comptable)
    assert c.get(reverse("helios:bordereau_action", args=[b.pk])).status_code == 405
    p = b.pieces.first()
    assert c.get(reverse("helios:piece_action", args=[p.pk])).status_code == 405


@pytest.mark.django_db
def test_actions_need_the_csrf_token(comptable, make_bordereau):
    from django.test import Client

    b = make_bordereau(1)
    c = verified_client(Client(enforce_csrf_checks=True), comptable)
    p = b.pieces.first()
    response = c.post(reverse("helios:piece_action", args=[p.pk]), {"action": "prendre-en-charge"})
    assert response.status_code == 403
    p.refresh_from_db()
    assert p.etat == EtatPiece.RECUE


# -- queue --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_queue_lists_awaiting_bordereaux_with_counts_and_filters(
    client, comptable, make_bordereau, other_collectivite
):
    waiting = make_bordereau(3, etats={0: EtatPiece.EN_INSTANCE})
    done = make_bordereau(2, etats={0: EtatPiece.PRISE_EN_CHARGE, 1: EtatPiece.REJETEE})
    recettes = make_bordereau(1, domaine="recette")
    c = verified_client(client, comptable)
    response = c.get(reverse("helios:queue"))
    assert response.status_code == 200
    rows = {b.pk: b for b, _age in response.context["rows"]}
    assert set(rows) == {waiting.pk, recettes.pk}
    assert rows[waiting.pk].n_recues == 2 and rows[waiting.pk].n_instance == 1
    assert rows[waiting.pk].montant_attente == Decimal("300.00")
    assert done.pk not in rows
    [count] = response.context["counts"]
    assert count.nom == "Commune de Saint-Orens" and count.pieces == 4 and count.bordereaux == 2
    html = response.content.decode()
    assert "File d'attente des bordereaux" in html and "N° 1 (2026)" in html

    response = c.get(reverse("helios:queue"), {"domaine": "recette"})
    assert [b.pk for b, _ in response.context["rows"]] == [recettes.pk]
    response = c.get(reverse("helios:queue"), {"collectivite": other_collectivite.pk})
    # Not one of the poste's collectivités: the filter refuses it and the queue stays whole.
    assert not response.context["form"].is_valid()
    response = c.get(
        reverse("helios:queue"), {"collectivite": waiting.exercice.budget.collectivite_id}
    )
    assert len(response.context["rows"]) == 2
    response = c.get(reverse("helios:queue"), {"tri": "collectivite"})
    assert [b.pk for b, _ in response.context["rows"]] == [waiting.pk, recettes.pk]


@pytest.mark.django_db
def test_queue_ages_bordereaux(client, comptable, make_bordereau):
    import datetime

    from django.utils import timezone

    b = make_bordereau(1)
    Bordereau.objects.filter(pk=b.pk).update(recu_le=timezone.now() - datetime.timedelta(days=12))
    response = verified_client(client, comptable).get(reverse("helios:queue"))
    [(_row, age)] = response.context["rows"]
    assert age == 12
    assert "12 jours" in response.content.decode()


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_queue_and_bordereau_queries_are_bounded(client, comptable, make_bordereau):
    c = verified_client(client, comptable)
    small = make_bordereau(5)
    q_small = _count_queries(c, reverse("helios:queue"))
    b_small = _count_queries(c, reverse("helios:bordereau", args=[small.pk]))
    p_small = _count_queries(c, reverse("helios:piece", args=[small.pieces.first().pk]))
    big = make_bordereau(50)
    for _ in range(20):
        make_bordereau(2)
    q_big = _count_queries(c, reverse("helios:queue"))
    b_big = _count_queries(c, reverse("helios:bordereau", args=[big.pk]))
    p_big = _count_queries(c, reverse("helios:piece", args=[big.pieces.first().pk]))
    assert q_small == q_big, (q_small, q_big)
    assert b_small == b_big, (b_small, b_big)
    assert p_small == p_big
    # Today 11, 16 and 17 (session, user, second factor and messages included).
    assert q_big <= 14 and b_big <= 20 and p_big <= 22, (q_big, b_big, p_big)


# -- pages --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_bordereau_page_shows_pieces_states_and_hints(client, comptable, make_bordereau):
    b = make_bordereau(3, etats={2: EtatPiece.REJETEE})
    Tiers.objects.update(iban="FR7630006000011234567890188")
    response = verified_client(client, comptable).get(reverse("helios:bordereau", args=[b.pk]))
    html = response.content.decode()
    assert "Mandat n° 1" in html and "Entreprise Dupont" in html
    assert "IBAN invalide" in html
    assert "Rejetée" in html and "À prendre en charge" in html
    assert "01 — Absence totale ou invalidité des pièces justificatives" in html
    for label in ("Prendre en charge", "Rejeter", "Mettre en instance"):
        assert label in html


@pytest.mark.django_db
def test_piece_page_shows_lines_tiers_pj_history_and_hints(client, comptable, make_bordereau):
    b = make_bordereau(1)
    p = b.pieces.get()
    c = verified_client(client, comptable)
    c.post(
        reverse("helios:piece_action", args=[p.pk]),
        {"action": "mettre-en-instance", "motifs": ["02"], "commentaire": "Devis manquant"},
    )
    response = c.get(reverse("helios:piece", args=[p.pk]))
    html = response.content.decode()
    assert "6064" in html  # ligne nature
    assert "FR7630006000011234567890189" in html and "AGRIFRPP" in html
    assert "facture-0.pdf" in html and "<iframe" in html
    assert "Devis manquant" in html and "comptable@example.fr" in html
    assert "IBAN valide" in html and "1 pièce justificative présente" in html
    assert "Montants cohérents" in html
    # En instance: no more "mettre en instance"; the two others remain.
    assert [a.slug for a in response.context["actions"]] == ["prendre-en-charge", "rejeter"]


@pytest.mark.django_db
def test_pj_is_streamed_inline_with_its_type(client, comptable, make_bordereau):
    b = make_bordereau(1)
    pj = PieceJustificative.objects.get()
    response = verified_client(client, comptable).get(reverse("helios:pj", args=[pj.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert b"".join(response.streaming_content) == PDF
    response.close()
    assert b.pk


@pytest.mark.django_db
def test_html_pj_is_downloaded_not_shown(client, comptable, make_bordereau, collectivite):
    from pigp.core import files

    make_bordereau(1)
    pj = PieceJustificative.objects.get()
    pj.mime_type = "text/html"
    pj.fichier = files.store_bytes(b"<script>alert(1)</script>", media_type="text/html")
    pj.save()
    response = verified_client(client, comptable).get(reverse("helios:pj", args=[pj.pk]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]
    response.close()


# -- actions ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_piece_reject_with_several_motifs_is_journaled(client, comptable, make_bordereau):
    p = make_bordereau(1).pieces.get()
    response = verified_client(client, comptable).post(
        reverse("helios:piece_action", args=[p.pk]),
        {"action": "rejeter", "motifs": ["01", "09"], "commentaire": "RIB et facture absents"},
        follow=True,
    )
    p.refresh_from_db()
    assert p.etat == EtatPiece.REJETEE and p.motif_code == "01 09"
    assert p.motif_commentaire == "RIB et facture absents"
    assert "1 pièce rejetée." in response.content.decode()
    assert "fr-alert--success" in response.content.decode()
    event = PieceEvent.objects.get(piece=p)
    assert event.actor == "comptable@example.fr"
    assert JournalEntry.objects.filter(action="piece_rejetee", object_id=str(p.pk)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "rejeter", "commentaire": "x"}, "Choisissez au moins un motif."),
        ({"action": "rejeter", "motifs": ["01"]}, "Précisez ce que la collectivité doit corriger."),
        ({"action": "rejeter", "motifs": ["99"], "commentaire": "x"}, "Action non appliquée"),
        ({"action": "payer"}, "Action inconnue."),
    ],
)
def test_invalid_action_forms_change_nothing(client, comptable, make_bordereau, data, message):
    p = make_bordereau(1).pieces.get()
    response = verified_client(client, comptable).post(
        reverse("helios:piece_action", args=[p.pk]), data, follow=True
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    p.refresh_from_db()
    assert p.etat == EtatPiece.RECUE and not PieceEvent.objects.exists()


@pytest.mark.django_db
def test_forbidden_transition_on_a_piece_is_a_message_not_a_500(client, comptable, make_bordereau):
    p = make_bordereau(1, etats={0: EtatPiece.REJETEE}).pieces.get()
    response = verified_client(client, comptable).post(
        reverse("helios:piece_action", args=[p.pk]), {"action": "prendre-en-charge"}, follow=True
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Impossible de passer le mandat n° 1 de « rejetée » à « prise en charge »." in html
    assert "fr-alert--error" in html


@pytest.mark.django_db
def test_bordereau_wide_action_with_allowed_and_forbidden_pieces(client, comptable, make_bordereau):
    b = make_bordereau(
        5, etats={1: EtatPiece.EN_INSTANCE, 2: EtatPiece.REJETEE, 3: EtatPiece.PRISE_EN_CHARGE}
    )
    response = verified_client(client, comptable).post(
        reverse("helios:bordereau_action", args=[b.pk]),
        {"action": "rejeter", "portee": "tout", "motifs": ["04"], "commentaire": "Liquidation"},
        follow=True,
    )
    html = response.content.decode()
    etats = dict(b.pieces.values_list("id_pce", "etat"))
    assert etats == {
        "1": EtatPiece.REJETEE,
        "2": EtatPiece.REJETEE,
        "3": EtatPiece.REJETEE,  # was already
        "4": EtatPiece.PRISE_EN_CHARGE,
        "5": EtatPiece.REJETEE,
    }
    assert "3 pièces rejetées." in html
    # Already decided pièces are left as they are and said so, never reported as refused.
    assert (
        "2 pièces déjà décidées, laissées telles quelles : mandat n° 3 (rejetée), "
        "mandat n° 4 (prise en charge)." in html
    )
    assert "refusée" not in html and "fr-alert--warning" not in html
    assert PieceEvent.objects.filter(etat=EtatPiece.REJETEE).count() == 3


@pytest.mark.django_db
def test_bordereau_action_on_selected_pieces_only(client, comptable, make_bordereau):
    b = make_bordereau(3)
    other = make_bordereau(1).pieces.get()
    first, second, _third = b.pieces.order_by("id")
    c = verified_client(client, comptable)
    c.post(
        reverse("helios:bordereau_action", args=[b.pk]),
        # A pièce of another bordereau slipped into the selection is ignored.
        {
            "action": "prendre-en-charge",
            "portee": "selection",
            "pieces": [first.pk, second.pk, other.pk],
        },
    )
    assert dict(b.pieces.values_list("id_pce", "etat")) == {
        "1": EtatPiece.PRISE_EN_CHARGE,
        "2": EtatPiece.PRISE_EN_CHARGE,
        "3": EtatPiece.RECUE,
    }
    other.refresh_from_db()
    assert other.etat == EtatPiece.RECUE
    response = c.post(
        reverse("helios:bordereau_action", args=[b.pk]),
        {"action": "prendre-en-charge", "portee": "selection"},
        follow=True,
    )
    assert "Cochez au moins une pièce" in response.content.decode()


@pytest.mark.django_db
def test_locked_piece_offers_no_action(client, comptable, make_bordereau):
    p = make_bordereau(1).pieces.get()
    Piece.objects.filter(pk=p.pk).update(verrouillee=True)
    c = verified_client(client, comptable)
    response = c.get(reverse("helios:piece", args=[p.pk]))
    assert response.context["actions"] == []
    response = c.post(
        reverse("helios:piece_action", args=[p.pk]), {"action": "prendre-en-charge"}, follow=True
    )
    assert "exercice clos" in response.content.decode()


@pytest.mark.django_db
def test_undecoded_pj_is_explained(client, comptable, make_bordereau):
    make_bordereau(1)
    pj = PieceJustificative.objects.get()
    PieceJustificative.objects.filter(pk=pj.pk).update(fichier=None, erreur="base64 invalide")
    c = verified_client(client, comptable)
    response = c.get(reverse("helios:pj", args=[pj.pk]), follow=True)
    assert response.redirect_chain == [(reverse("helios:piece", args=[pj_piece(pj).pk]), 302)]
    piece_page = response.content.decode()
    assert "pas pu être décodée" in piece_page
    assert "illisible" in piece_page and "base64 invalide" in piece_page


def pj_piece(pj):
    return Piece.objects.get(pj_refs__id_unique=pj.id_unique)


@pytest.mark.django_db
def test_menus_lead_comptables_only_to_helios(client, comptable, entitled, make_bordereau):
    make_bordereau(1)
    home = verified_client(client, comptable).get(reverse("portal:home")).content.decode()
    assert 'href="/helios/"' in home
    page = client.get(reverse("helios:queue")).content.decode()
    for path in ("paiements", "recouvrement", "tresorerie", "retours", "cloture"):
        assert f'href="/helios/{path}/"' in page
    assert 'aria-current="page">File d\'attente' in page
    client.logout()
    home = verified_client(client, entitled).get(reverse("portal:home")).content.decode()
    assert 'href="/helios/"' not in home
