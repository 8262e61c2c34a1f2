"""The newer Hélios pages pass axe-core in a browser: statement results (credits matched,
waiting and « déjà constaté », debits), a waiting debit matched by hand, the payment run page,
a titre with its recovery stage date, and the bulk-decision block of a bordereau in progress,
stopped by an error and finished with skipped pièces. All data is made through the services."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import override_settings

from tests.e2e.test_helios_browser import COMPTABLE, log_in_with_totp, shot

pytestmark = pytest.mark.browser

SAINT_ORENS = "21310555400017"
TRESOR_IBAN = "FR7630001007941234567890185"
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def receive_generated(tmp_path, coll, cod_bud: str, name: str, **kw):
    """A generated PES_Aller of `coll`, received through the passerelle and ingested."""
    from django.utils import timezone

    from tests.flows import receive_generated as receive

    budget = coll.budgets.get(cod_col="055", cod_bud=cod_bud)
    return receive(
        coll, tmp_path / f"{name}.xml", budget=budget, exercice=timezone.localdate().year, **kw
    )


@pytest.fixture
def money(demo_server, tmp_path):
    """Mandats paid by a run, titres taken in charge (one at the « relance » stage), then the
    bank's camt.054 of the day and its camt.053 repeating two of its credits."""
    from django.utils import timezone

    from pigp.core.models import Collectivite
    from pigp.formats import sepa
    from pigp.helios import states
    from pigp.helios.models import CamtDebit, CompteTresor, EtatPiece, Piece
    from pigp.helios.money import payments, recovery, statements

    coll = Collectivite.objects.select_related("poste").get(siret=SAINT_ORENS)
    CompteTresor.objects.get_or_create(
        poste=coll.poste,
        defaults={"titulaire": "DGFIP SGC MURET", "iban": TRESOR_IBAN, "bic": "BDFEFRPPCCT"},
    )
    flux = receive_generated(
        tmp_path, coll, "00", "PES_MIXTE_ARGENT", seed=515, pieces=4, domaine="mixte"
    )
    pieces = Piece.objects.filter(bordereau__flux=flux).order_by("domaine", "pk")
    for piece in pieces:
        states.transition(piece, EtatPiece.PRISE_EN_CHARGE, actor=COMPTABLE)
    today = timezone.localdate()
    run = payments.run_payments(coll, today, actor=COMPTABLE).run
    assert run is not None and run.nombre >= 2
    titres = list(Piece.objects.filter(bordereau__flux=flux, domaine="recette").order_by("pk"))
    recovery.set_stade(titres[0], "relance", actor=COMPTABLE, commentaire="Relance amiable.")

    def credit(amount, remittance, bank_ref):
        return sepa.StatementLine(
            Decimal(amount).quantize(Decimal("0.01")),
            sepa.CreditDebit.CREDIT,
            today,
            remittance=remittance,
            account_servicer_ref=bank_ref,
        )

    partial = credit(titres[1].reste_a_recouvrer / 2, f"T{titres[1].id_pce}", "BQ-E2E-C1")
    unknown = credit("123.45", "VIREMENT DIVERS SANS REFERENCE", "BQ-E2E-C2")
    whole = credit(titres[2].reste_a_recouvrer, f"T{titres[2].id_pce}", "BQ-E2E-C3")
    batch = sepa.StatementLine(  # a batch reference the poste does not know
        run.total, sepa.CreditDebit.DEBIT, today, payment_info_id="LOT-BANQUE-9"
    )
    fees = sepa.StatementLine(
        Decimal("12.50"), sepa.CreditDebit.DEBIT, today, remittance="FRAIS DE TENUE DE COMPTE"
    )
    created = timezone.now() - datetime.timedelta(hours=1)
    imports = {}
    for name, message, lines in (
        ("avis_du_jour.xml", sepa.CAMT_054_08, [partial, unknown]),
        ("releve_du_jour.xml", sepa.CAMT_053_08, [partial, unknown, whole, batch, fees]),
    ):
        content = sepa.write_camt(
            TRESOR_IBAN, lines, message=message, statement_id=name[:-4].upper(), created=created
        )
        imports[name] = statements.import_camt(coll, content, name, actor=COMPTABLE)
    releve = imports["releve_du_jour.xml"]
    waiting = {line.montant: line for line in CamtDebit.objects.filter(camt=releve)}
    assert not any(line.rapprochee for line in waiting.values())
    return {
        "avis": imports["avis_du_jour.xml"],
        "releve": releve,
        "run": run,
        "batch": waiting[run.total],
        "fees": waiting[Decimal("12.50")],
        "titre": titres[0],
    }


def visit(page, url: str, assert_accessible, name: str) -> str:
    page.goto(url)
    assert page.get_by_role("heading", level=1).count() == 1
    assert_accessible(page, url)
    shot(page, name)
    return page.locator("main").inner_text()


def test_statement_run_debit_and_titre_pages(page, money, assert_accessible):
    log_in_with_totp(page, COMPTABLE)
    avis, releve, run = money["avis"], money["releve"], money["run"]

    text = visit(page, f"/helios/recouvrement/releves/{avis.pk}/", assert_accessible, "avis")
    # DSFR badges are upper-cased by CSS: innerText says so.
    assert "Lignes au crédit" in text and "À RAPPROCHER" in text.upper()
    text = visit(page, f"/helios/recouvrement/releves/{releve.pk}/", assert_accessible, "releve")
    assert "2 déjà constatées sur un autre relevé" in text
    assert text.upper().count("DÉJÀ CONSTATÉ") >= 4 and "Crédit déjà constaté" in text
    assert "relevé « avis_du_jour.xml »" in text

    text = visit(page, f"/helios/paiements/{run.pk}/", assert_accessible, "campagne_attente")
    assert "EN ATTENTE DU RELEVÉ" in text.upper()

    # The fees wait with nothing to match; the batch is matched by hand to the run.
    text = visit(
        page,
        f"/helios/recouvrement/releves/debits/{money['fees'].pk}/",
        assert_accessible,
        "debit_frais",
    )
    assert "traitez l'opération hors Hélios" in text
    text = visit(
        page,
        f"/helios/recouvrement/releves/debits/{money['batch'].pk}/",
        assert_accessible,
        "debit_lot",
    )
    assert "Pourquoi ce débit n'est pas rapproché" in text
    page.get_by_label("Campagne ou paiement débité").select_option(f"run-{run.pk}")
    page.get_by_role("button", name="Constater le débit").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/helios/recouvrement/releves/{releve.pk}/")
    assert "rapprochée" in page.locator("main").inner_text()
    assert_accessible(page, "the statement after a manual match")

    text = visit(page, f"/helios/paiements/{run.pk}/", assert_accessible, "campagne_debitee")
    assert "DÉBITÉE" in text.upper() and "releve_du_jour.xml" in text

    titre = money["titre"]
    titre.refresh_from_db()
    text = visit(page, f"/helios/recouvrement/titres/{titre.pk}/", assert_accessible, "titre")
    assert f"Relance (depuis le {titre.date_stade:%d/%m/%Y})" in text


@pytest.fixture
def bulk_bordereau(demo_server, tmp_path):
    """A dépense bordereau of 4 mandats, the first already taken in charge."""
    from pigp.core.models import Collectivite
    from pigp.helios import states
    from pigp.helios.models import Bordereau, EtatPiece

    coll = Collectivite.objects.select_related("poste").get(siret=SAINT_ORENS)
    flux = receive_generated(tmp_path, coll, "01", "PES_DEPENSE_GROUPEE", seed=77, pieces=4)
    bordereau = Bordereau.objects.get(flux=flux)
    first = bordereau.pieces.order_by("pk").first()
    states.transition(first, EtatPiece.PRISE_EN_CHARGE, actor=COMPTABLE)
    return bordereau


def test_bulk_decision_block_in_progress_failed_and_finished(
    page, bulk_bordereau, assert_accessible, monkeypatch
):
    from pigp.core.models import User
    from pigp.helios import workbench
    from pigp.helios.models import ActionGroupee, StatutActionGroupee

    b = bulk_bordereau
    url = f"/helios/bordereaux/{b.pk}/"
    comptable = User.objects.get(email=COMPTABLE)
    with override_settings(TASKS=DB_TASKS):  # stored for a worker, not run
        bulk = workbench.request_bulk(
            comptable,
            b,
            workbench.ACTIONS["rejeter"],
            motifs=["04"],
            commentaire="Liquidation erronée.",
        )
    log_in_with_totp(page, COMPTABLE)
    text = visit(page, url, assert_accessible, "bulk_en_cours")
    assert "Décision groupée en cours" in text and "En attente de traitement" in text

    # The task stops on an error after its first batch.
    real_apply, calls = workbench.apply, []

    def failing_apply(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("panne simulée")
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(workbench, "apply", failing_apply)
    with pytest.raises(RuntimeError):
        workbench.run_bulk(bulk.pk, batch=2)
    monkeypatch.undo()
    bulk.refresh_from_db()
    assert bulk.statut == StatutActionGroupee.ECHEC and bulk.n_traitees == 2
    text = visit(page, url, assert_accessible, "bulk_echec")
    assert "Décision groupée interrompue" in text and "2 pièces sur 4 traitées" in text

    # Resumed from the page: the task runs at once (immediate backend) and skips the mandat
    # taken in charge beforehand.
    page.get_by_role("button", name="Reprendre le traitement").click()
    page.wait_for_load_state()
    bulk = ActionGroupee.objects.get(pk=bulk.pk)
    assert bulk.statut == StatutActionGroupee.TERMINEE and bulk.n_changees == 3
    text = page.locator("main").inner_text()
    assert "Décision groupée terminée" in text and "1 pièce déjà décidée" in text
    assert_accessible(page, "a bordereau after a bulk decision with a skipped pièce")
    shot(page, "bulk_terminee")
