"""A flow whose validation cannot finish is never accepted: retried, then refused with the reason.

The failure is injected into the PES / SEPA library (one function monkeypatched to raise);
the gateway must retry the flow as for a worker crash, then refuse it (status REFUSE) with
« contrôle interrompu », keep the original and accept nothing.
"""

import datetime
import io
from decimal import Decimal
from typing import NoReturn

import pytest
from lxml import etree

from pigp.core import files
from pigp.formats.pes import schemas as pes_schemas
from pigp.passerelle import intake, pipeline
from pigp.passerelle.models import (
    AcceptedBordereau,
    Flux,
    FluxFinding,
    KindFlux,
    MailboxItem,
    ReceivedPj,
    StatutFlux,
)
from pigp.passerelle.signals import flux_accepted
from tests.flows import aller_bytes, incomplete_acquit_retour_xml

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(RuntimeError):
    """The injected failure."""


class _FailingTarget:
    """Parser target of the PES schema thread that raises at the first element."""

    def start(self, tag: str, attrib: object) -> None:
        raise Boom("injected")

    def close(self) -> str:
        return "done"


def _deposit(coll, content: bytes, name: str = "flux.xml"):
    received = []
    flux_accepted.connect(
        lambda sender, **kw: received.append(kw), weak=False, dispatch_uid="fail-closed"
    )
    try:
        [r] = intake.receive(io.BytesIO(content), filename=name, collectivite=coll, canal="web")
    finally:
        flux_accepted.disconnect(dispatch_uid="fail-closed")
    return Flux.objects.get(pk=r.flux.pk), received


def _assert_refused_after_retries(flux: Flux, content: bytes, layer: str) -> None:
    assert flux.statut == StatutFlux.REFUSE, flux.message
    assert flux.attempts == pipeline.MAX_ATTEMPTS
    assert flux.message.startswith(f"Flux refusé : contrôle interrompu ({layer})"), flux.message
    statuts = list(flux.events.order_by("pk").values_list("statut", flat=True))
    assert statuts == [
        "poste",
        *(["en_cours", "erreur"] * (pipeline.MAX_ATTEMPTS - 1)),
        "en_cours",
        "refuse",
    ]
    retry = flux.events.filter(statut=StatutFlux.ERREUR).first()
    assert retry.message == f"Contrôle interrompu ({layer}) : nouvelle tentative automatique."
    # The findings carry the reason; the original is kept as it was received.
    assert FluxFinding.objects.filter(
        flux=flux, severity="error", message__startswith=f"Contrôle interrompu : {layer}"
    ).exists()
    with files.open_stored(flux.fichier) as fh:
        assert fh.read() == content


def test_pes_flow_whose_schema_check_breaks_is_retried_then_refused(sicoval, monkeypatch):
    content = aller_bytes(sicoval)
    monkeypatch.setattr(pes_schemas, "_NoTree", _FailingTarget)
    flux, signalled = _deposit(sicoval, content)
    _assert_refused_after_retries(flux, content, "contrôle du schéma")
    assert not signalled
    assert not AcceptedBordereau.objects.exists()
    assert not ReceivedPj.objects.exists()
    # One acknowledgement, delivered with the refusal: KO, with the reason.
    [item] = MailboxItem.objects.filter(related_flux=flux)
    assert item.kind == KindFlux.PES_ACQUIT and item.fichier == flux.acquit
    with files.open_stored(item.fichier) as fh:
        doc = etree.fromstring(fh.read())
    assert {el.find("EtatAck").get("V") for el in doc.iter("ElementACQUIT")} == {"0"}
    assert any(
        e.get("V").startswith("Contrôle interrompu : contrôle du schéma")
        for e in doc.iter("LibelleAnoAck")
    )


def test_pes_flow_whose_check_breaks_once_is_accepted_on_retry(sicoval, monkeypatch):
    content = aller_bytes(sicoval)
    real = pes_schemas._NoTree
    calls = []

    def first_time_failing() -> object:
        calls.append(1)
        return _FailingTarget() if len(calls) == 1 else real()

    monkeypatch.setattr(pes_schemas, "_NoTree", first_time_failing)
    flux, signalled = _deposit(sicoval, content)
    assert flux.statut == StatutFlux.ACQUITTE, flux.message
    assert flux.attempts == 2
    assert len(signalled) == 1
    assert AcceptedBordereau.objects.filter(flux=flux).count() == 1
    assert MailboxItem.objects.filter(related_flux=flux).count() == 1
    assert not FluxFinding.objects.filter(flux=flux, severity="error").exists()


def test_sepa_file_whose_rules_break_is_retried_then_refused(sicoval, monkeypatch):
    from pigp.formats import sepa
    from pigp.formats.sepa.validate import _PainHandler
    from tests.formats.sepa.builders import ICS, TRESORERIE, USAGER

    today = datetime.date.today()
    debit = sepa.DirectDebit(
        "T2026000001",
        Decimal("42.10"),
        USAGER,
        "RUM-EAU-000001",
        today - datetime.timedelta(days=30),
        sepa.SequenceType.RECURRENT,
        today + datetime.timedelta(days=5),
        "TITRE 2026-T-000001",
    )
    content = sepa.write_direct_debit(TRESORERIE, ICS, [debit])

    def boom(*args: object, **kwargs: object) -> NoReturn:
        raise Boom("injected")

    monkeypatch.setattr(_PainHandler, "_check_iban", boom)
    flux, _signalled = _deposit(sicoval, content, name="prelevements.xml")
    assert flux.kind == KindFlux.PAIN_008
    _assert_refused_after_retries(flux, content, "contrôle des règles métier")
    assert flux.findings.filter(code="controle-interrompu").exists()


def test_acquit_retour_whose_check_breaks_is_retried_then_refused(sicoval, monkeypatch):
    content = incomplete_acquit_retour_xml(sicoval, "PES2R_DEP_INCONNU.xml")
    monkeypatch.setattr(pes_schemas, "_NoTree", _FailingTarget)
    flux, _signalled = _deposit(sicoval, content, name="acquit_retour.xml")
    assert flux.kind == KindFlux.PES_ACQUIT_RETOUR
    _assert_refused_after_retries(flux, content, "contrôle du schéma")
