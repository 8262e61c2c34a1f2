"""The mandat and tiers pages say what a collectivité asks on the phone."""

from __future__ import annotations

from tests.extranet.conftest import urls


def test_mandat_page_tells_its_whole_story(data, logged, reader):
    from pigp.helios.models import Paiement

    paid = data.mandats[0]
    payment = Paiement.objects.select_related("run").get(piece=paid)
    page = logged(reader).get(urls(data)["mandat"]).content.decode()
    assert f"référence du virement (EndToEndId) <strong>{payment.reference}</strong>" in page
    assert f"campagne de paiement du {payment.run.date_execution:%d/%m/%Y}" in page
    assert "Reçue par flux PES." in page and "Prise en charge" in page
    assert f"Payée le {data.day_a:%d/%m/%Y}" in page
    ligne = paid.lignes.get()
    assert f"<td>{ligne.nature}</td><td>{ligne.fonction}</td>" in page
    assert "s'ouvre dans le navigateur" in page


def test_rejected_mandat_shows_the_motif_and_the_comment(data, logged, reader):
    rejected = data.mandats[3]
    page = logged(reader).get(f"/extranet/mandats/{rejected.pk}/").content.decode()
    assert "Motif 09 : Domiciliation bancaire absente ou erronée" in page
    assert "Commentaire du comptable : « Le RIB joint ne correspond pas au fournisseur. »" in page
    assert "Ce mandat n'est pas encore payé." in page


def test_tiers_page_lists_mandats_and_titres_paid_and_due(data, logged, reader):
    from pigp.helios.models import Tiers

    client = logged(reader)
    supplier = data.mandats[0].tiers
    page = client.get(f"/extranet/tiers/{supplier.pk}/").content.decode()
    mine = [p for p in data.mandats if p.tiers_id == supplier.pk]
    assert all(f'href="/extranet/mandats/{p.pk}/"' in page for p in mine)
    assert "restant à payer" in page and supplier.iban in page
    debtor: Tiers = data.titres[0].tiers
    page = client.get(f"/extranet/tiers/{debtor.pk}/").content.decode()
    amount = f"{data.titres[0].reste_a_recouvrer:,.2f}".replace(",", "\u00a0").replace(".", ",")
    assert "1 titre" in page and f"{amount} € restant à recouvrer" in page
