"""Processing of a received flow: a background task, idempotent and resumable.

A flow is claimed with a lease (a conditional UPDATE, so two workers never process it at
once); a worker killed mid-flow leaves the lease to expire, and `recover_stale` hands the
flow to the next worker. Every step writes what it produced under a stable name, so a
second run finds it and does not duplicate it.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from pigp.core import files
from pigp.core.tasks import enqueue_later
from pigp.passerelle import mailbox
from pigp.passerelle.context import PlatformPesContext
from pigp.passerelle.detect import Detected, detect
from pigp.passerelle.history import set_status
from pigp.passerelle.models import (
    AcceptedBordereau,
    Flux,
    FluxFinding,
    KindFlux,
    MailboxItem,
    ReceivedPj,
    StatutFlux,
)
from pigp.passerelle.models.flux import PROCESSABLE
from pigp.passerelle.signals import flux_accepted

if TYPE_CHECKING:  # the format libraries are imported when a flow of their kind is processed
    from pigp.core.models import Budget
    from pigp.formats.pes import BordereauSummary, Finding, Report, ValidationOptions
    from pigp.formats.sepa import Finding as SepaFinding
    from pigp.formats.sepa import SepaReport

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


class ControlInterrupted(Exception):
    """A layer of the validation could not finish (``report.interrupted``): there is no
    verdict, so nothing is acknowledged nor accepted. ``process_flux`` retries it like a
    technical error and, after MAX_ATTEMPTS, refuses the flow with this reason (the original
    stays stored); ``record`` then keeps what the last attempt found."""

    def __init__(self, layers: tuple[str, ...], record: Callable[[], None]) -> None:
        self.reason = f"contrôle interrompu ({', '.join(layers)})"
        self.record = record
        super().__init__(self.reason)


def _fail_if_interrupted(report: Report | SepaReport, record: Callable[[], None]) -> None:
    if report.interrupted:
        raise ControlInterrupted(tuple(str(layer) for layer in report.interrupted), record)


def enqueue_processing(flux_id: int) -> None:
    process_flux.enqueue(flux_id=flux_id)


def claim(flux_id: int) -> Flux | None:
    """Take the flow for processing, or return None if another worker holds it or it is done."""
    now = timezone.now()
    lease = now + datetime.timedelta(seconds=settings.PIGP_PASSERELLE_LEASE_SECONDS)
    free = Q(statut__in=PROCESSABLE) | Q(statut=StatutFlux.EN_COURS, lease_until__lt=now)
    with transaction.atomic():
        taken = Flux.objects.filter(free, pk=flux_id).update(lease_until=lease)
        if not taken:
            return None
        flux = Flux.objects.select_related("collectivite", "collectivite__poste", "fichier").get(
            pk=flux_id
        )
        flux.attempts += 1
        flux.save(update_fields=["attempts"])
        if flux.statut != StatutFlux.EN_COURS:
            set_status(flux, StatutFlux.EN_COURS, "Contrôles en cours.")
    return flux


# Acknowledging a flow comes before the ledger work of earlier ones (Hélios' ingest runs at
# the default priority): a depositor waits for the acknowledgement, nobody waits for the ledger.
@task(priority=10)
def process_flux(flux_id: int) -> str:
    flux = claim(flux_id)
    if flux is None:
        return "déjà traité ou en cours"
    try:
        _process(flux)
    except Exception as exc:
        interrupted = isinstance(exc, ControlInterrupted)
        if interrupted:  # the format library logged the layer's own exception
            log.warning("flux %s: %s (attempt %s)", flux_id, exc, flux.attempts)
        else:
            log.exception("flux %s: technical error", flux_id)
        flux.lease_until = None
        if isinstance(exc, ControlInterrupted) and flux.attempts >= MAX_ATTEMPTS:
            _refuse_interrupted(flux, exc)
            return flux.statut
        if flux.attempts >= MAX_ATTEMPTS:
            set_status(
                flux,
                StatutFlux.ERREUR,
                f"Erreur technique persistante après {flux.attempts} tentatives ({type(exc).__name__}). "
                "Le fichier est conservé ; l'équipe d'exploitation est prévenue.",
                extra_fields=("lease_until",),
                details={"exception": f"{type(exc).__name__}: {exc}"[:1000]},
            )
        else:
            what = (
                exc.reason
                if isinstance(exc, ControlInterrupted)
                else f"erreur technique ({type(exc).__name__})"
            )
            set_status(
                flux,
                StatutFlux.ERREUR,
                f"{what[:1].upper()}{what[1:]} : nouvelle tentative automatique.",
                extra_fields=("lease_until",),
                details={"exception": f"{type(exc).__name__}: {exc}"[:1000]},
            )
            enqueue_later(
                process_flux, datetime.timedelta(seconds=30 * flux.attempts), flux_id=flux_id
            )
        return "erreur"
    return flux.statut


def _refuse_interrupted(flux: Flux, exc: ControlInterrupted) -> None:
    with transaction.atomic():
        exc.record()
        _refuse(
            flux,
            f"Flux refusé : {exc.reason} à chacune des {flux.attempts} tentatives ; le flux ne "
            "peut pas être accepté en l'état. Le fichier est conservé : déposez-le à nouveau "
            "plus tard ou contactez l'assistance.",
        )


def _process(flux: Flux) -> None:
    with files.local_path(flux.fichier) as path:
        detected = detect(path)
        if flux.kind != detected.kind:
            flux.kind = detected.kind
            flux.save(update_fields=["kind"])
        if detected.kind is KindFlux.PES_ALLER:
            _process_pes_aller(flux, path, detected)
        elif detected.kind is KindFlux.PES_ACQUIT_RETOUR:
            _process_acquit_retour(flux, path)
        elif detected.kind in (KindFlux.PAIN_001, KindFlux.PAIN_008):
            _process_sepa(flux, path)
        elif detected.kind in (KindFlux.PES_ACQUIT, KindFlux.PES_RETOUR):
            _refuse(
                flux,
                f"Un fichier {detected.kind.label} est émis par le comptable : il ne se dépose pas "
                "sur la passerelle. Il arrive dans votre boîte aux lettres.",
            )
        else:
            _refuse(flux, detected.reason or "Fichier non reconnu.")


def _refuse(flux: Flux, message: str) -> None:
    flux.lease_until = None
    set_status(flux, StatutFlux.REFUSE, message, extra_fields=("lease_until",))


def _foreign_id_coll(flux: Flux, header: dict[str, str]) -> str | None:
    """The IdColl of the flow's header when it names a collectivité other than the one the
    flow was deposited for (whose perimeter the depositor's rights were checked on)."""
    id_coll = (header.get("IdColl") or "").strip()
    return id_coll if id_coll and id_coll != flux.collectivite.siret else None


def _siret_finding(flux: Flux, id_coll: str, advice: str) -> Finding:
    """The anomaly of a header naming another collectivité than the one deposited for."""
    from pigp.formats.pes import Finding, Location, NumAnoAck, Scope, Severity

    coll = flux.collectivite
    return Finding(
        code=NumAnoAck.SIRET,
        severity=Severity.ERROR,
        scope=Scope.FLUX,
        message=(
            f"Ce flux concerne la collectivité de SIRET {id_coll} (IdColl) ; il a été déposé "
            f"pour {coll.nom} (SIRET {coll.siret}). {advice}"
        ),
        location=Location(path="/PES_Aller/EnTetePES/IdColl"),
        rule="idcoll-deposant",
    )


def _deliver_acquit(flux: Flux, acquit: bytes) -> None:
    """Put the PES_ACQUIT in the mailbox and point the flow at it (the caller saves it)."""
    item = mailbox.deliver(
        flux.collectivite, KindFlux.PES_ACQUIT, _acquit_name(flux), acquit, related_flux=flux
    )
    flux.acquit = item.fichier


def _refuse_foreign_header(flux: Flux, header: dict[str, str], id_coll: str) -> None:
    """Refuse a PES_Aller naming another collectivité for that reason alone.

    No rule reading the platform's state (bordereaux already taken in charge, PJ already
    received, NomFic already used…) runs for a perimeter the depositor has no right to: the
    acknowledgement carries the SIRET finding only, the same whatever the other collectivité
    has received.
    """
    from pigp.formats.pes import Report
    from pigp.formats.pes.acquit import build_acquit

    finding = _siret_finding(
        flux,
        id_coll,
        "Il est refusé sans autre contrôle : déposez-le pour la bonne collectivité, si vous y "
        "êtes habilité.",
    )
    nom_fic = (header.get("NomFic") or "")[:100]
    report = Report(
        schema_version=settings.PIGP_PES_VERSION,
        root="PES_Aller",
        findings=(finding,),
        nom_fic=nom_fic or None,
        id_post=header.get("IdPost"),
        id_coll=id_coll,
        cod_col=header.get("CodCol"),
        cod_bud=header.get("CodBud"),
    )
    acquit_bytes = build_acquit(report, flow_name=nom_fic or flux.original_name)
    with transaction.atomic():
        _save_findings(flux, report.findings)
        flux.nom_fic = nom_fic
        flux.summary = {"bordereaux": [], "pj": 0, "erreurs": 1, "signatures": []}
        flux.save(update_fields=["nom_fic", "summary"])
        _deliver_acquit(flux, acquit_bytes)
        flux.lease_until = None
        set_status(
            flux,
            StatutFlux.REFUSE,
            f"Flux refusé : 1 anomalie(s) bloquante(s). {finding.message}",
            extra_fields=("acquit", "lease_until"),
        )


def _replace_findings(flux: Flux, rows: list[FluxFinding]) -> None:
    """A flow's findings are those of its last processing: a retry replaces them."""
    FluxFinding.objects.filter(flux=flux).delete()
    FluxFinding.objects.bulk_create(rows, batch_size=500)


def _save_findings(flux: Flux, findings: Iterable[Finding]) -> None:
    _replace_findings(
        flux,
        [
            FluxFinding(
                flux=flux,
                code=str(f.code),
                severity=str(f.severity),
                scope=str(f.scope),
                message=f.message,
                path=(f.location.path or "")[:500],
                line=f.location.line,
                bordereau=(f.location.bordereau or "")[:40],
                piece=(f.location.piece or "")[:40],
                ligne=(f.location.ligne or "")[:40],
                pj=(f.location.pj or "")[:100],
            )
            for f in findings
        ],
    )


def _process_pes_aller(flux: Flux, path: Path, detected: Detected) -> None:
    """Validate, acknowledge, then refuse the flow or accept its bordereaux: the verdict, the
    PES_ACQUIT and the hand-off to the ledger commit together."""
    from pigp.formats.pes.acquit import build_acquit

    header = detected.header or {}
    if (foreign := _foreign_id_coll(flux, header)) is not None:
        _refuse_foreign_header(flux, header, foreign)
        return
    report = _validate_pes_aller(flux, path)
    budget = _budget_of(flux, report, header)
    nom_fic = (report.nom_fic or header.get("NomFic") or "")[:100]
    acquit_bytes = build_acquit(report, flow_name=nom_fic or flux.original_name)
    accepted = report.accepted_bordereaux()
    blocked = report.flux_blocked or (bool(report.bordereaux) and not accepted)
    with transaction.atomic():
        _save_findings(flux, report.findings)
        flux.schema_version = report.schema_version
        flux.nom_fic = nom_fic
        flux.budget = budget
        flux.summary = _pes_summary(report, accepted, blocked)
        flux.save(update_fields=["schema_version", "nom_fic", "budget", "summary"])
        _deliver_acquit(flux, acquit_bytes)
        flux.lease_until = None
        if blocked:
            first = report.errors[0].message if report.errors else "Flux refusé."
            set_status(
                flux,
                StatutFlux.REFUSE,
                f"Flux refusé : {len(report.errors)} anomalie(s) bloquante(s). {first}",
                extra_fields=("acquit", "lease_until"),
            )
            return
        _accept_pes_aller(flux, report, budget, accepted)


def _validate_pes_aller(flux: Flux, path: Path) -> Report:
    """One streaming validation pass; a header naming another collectivité than the flow's
    is one more anomaly. Raises `ControlInterrupted` when a layer could not finish."""
    from pigp.formats.pes import validate

    report = validate(path, options=_pes_options(), context=PlatformPesContext(flux))
    _fail_if_interrupted(report, lambda: _record_interrupted_pes(flux, report))
    if report.id_coll and report.id_coll != flux.collectivite.siret:
        finding = _siret_finding(
            flux,
            report.id_coll,
            "Déposez-le pour la bonne collectivité, si vous y êtes habilité.",
        )
        report = dataclasses.replace(report, findings=(*report.findings, finding))
    return report


def _budget_of(flux: Flux, report: Report, header: dict[str, str]) -> Budget | None:
    cod_col = report.cod_col or header.get("CodCol")
    cod_bud = report.cod_bud or header.get("CodBud")
    if cod_col and cod_bud:
        return flux.collectivite.budgets.filter(cod_col=cod_col, cod_bud=cod_bud).first()
    return None


def _pes_summary(
    report: Report, accepted: tuple[BordereauSummary, ...], blocked: bool
) -> dict[str, object]:
    """What the flow's page shows of a PES_Aller: its bordereaux, PJ, errors and signatures."""
    return {
        "bordereaux": [
            {
                "id_bord": b.id_bord,
                "domaine": b.domaine,
                "exercice": b.exercice,
                "typ_bord": b.typ_bord,
                "nbr_pce": b.nbr_pce,
                "accepte": b in accepted and not blocked,
            }
            for b in report.bordereaux
        ],
        "pj": len(report.pj_ids),
        "erreurs": len(report.errors),
        "signatures": [
            {"cible": s.target, "valide": s.valid, "signataire": s.signer}
            for s in report.signatures
        ],
    }


def _accept_pes_aller(
    flux: Flux, report: Report, budget: Budget | None, accepted: tuple[BordereauSummary, ...]
) -> None:
    """Record the accepted bordereaux and PJ, move the flow to « acquitté » and hand it to the
    ledger. Runs inside the transaction that delivers the PES_ACQUIT."""
    coll = flux.collectivite
    if budget is not None:
        for b in accepted:
            AcceptedBordereau.objects.get_or_create(
                budget=budget,
                domaine=b.domaine,
                exercice=b.exercice or "",
                typ_bord=b.typ_bord or "",
                id_bord=b.id_bord,
                defaults={"flux": flux},
            )
    for id_unique in report.pj_ids:
        ReceivedPj.objects.get_or_create(
            collectivite=coll, id_unique=id_unique, defaults={"flux": flux}
        )
    set_status(
        flux,
        StatutFlux.TRANSMIS,
        "Flux transmis au comptable.",
        extra_fields=("acquit", "lease_until"),
    )
    total = len(accepted) == len(report.bordereaux)
    flux.acquit_total = total
    message = (
        "Acquittement reçu : flux accepté en totalité."
        if total
        else f"Acquittement reçu : {len(accepted)} bordereau(x) accepté(s) sur {len(report.bordereaux)}."
    )
    set_status(flux, StatutFlux.ACQUITTE, message, extra_fields=("acquit_total",))
    # The hand-off to the ledger commits with the acknowledgement: the durable mark the
    # sweep checks, and (sent inside this transaction) the receivers' task rows.
    from pigp.passerelle import integration

    integration.mark_pending(flux)
    flux_accepted.send(sender=Flux, flux=flux, bordereaux=accepted, report=report)


def _record_interrupted_pes(flux: Flux, report: Report) -> None:
    """The refusal of a flow whose control never finished is acknowledged too: a KO
    PES_ACQUIT carrying the « contrôle interrompu » error, for the sender's software."""
    from pigp.formats.pes.acquit import build_acquit

    _save_findings(flux, report.findings)
    acquit = build_acquit(report, flow_name=report.nom_fic or flux.original_name)
    _deliver_acquit(flux, acquit)
    flux.save(update_fields=["acquit"])


def _pes_options() -> ValidationOptions:
    from pigp.formats.pes.validator import ValidationOptions

    return ValidationOptions(
        version=settings.PIGP_PES_VERSION,
        accepted_versions=settings.PIGP_PES_ACCEPTED_VERSIONS,
        production=settings.PRODUCTION,
    )


def _acquit_name(flux: Flux) -> str:
    """« ACQUIT_<id>_<name>.xml », the name without its own extensions (NomFic often has one)."""
    base = flux.nom_fic or flux.original_name
    for extension in (".gz", ".zip", ".xml"):
        if base.lower().endswith(extension):
            base = base[: -len(extension)]
    return f"ACQUIT_{flux.pk}_{base[:230]}.xml"


def _process_acquit_retour(flux: Flux, path: Path) -> None:
    from pigp.formats.pes import PesError, read_acquit_retour, validate

    report = validate(path, options=_pes_options())
    _fail_if_interrupted(report, lambda: _save_findings(flux, report.findings))
    _save_findings(flux, report.findings)
    if report.errors:
        _refuse(
            flux,
            f"PES_ACQUIT_RETOUR refusé : {len(report.errors)} anomalie(s). {report.errors[0].message}",
        )
        return
    try:
        acquit = read_acquit_retour(path)
    except PesError as exc:
        _refuse(flux, f"PES_ACQUIT_RETOUR illisible : {exc}")
        return
    names = [e.nom_fichier_retour for e in acquit.elements if e.nom_fichier_retour]
    items = list(
        MailboxItem.objects.filter(
            collectivite=flux.collectivite, kind=KindFlux.PES_RETOUR, name__in=names
        )
    )
    if not items:
        _refuse(
            flux,
            "Ce PES_ACQUIT_RETOUR ne correspond à aucun PES_Retour de votre boîte aux lettres "
            f"({', '.join(names) or 'aucun nom de fichier retour indiqué'}).",
        )
        return
    with transaction.atomic():
        for item in items:
            if item.acknowledged_by_id is None:
                item.acknowledged_by = flux
                item.save(update_fields=["acknowledged_by"])
        flux.related = items[0].related_flux
        flux.lease_until = None
        set_status(
            flux,
            StatutFlux.TRANSMIS,
            f"Accusé de réception de {len(items)} PES_Retour transmis au comptable.",
            extra_fields=("related", "lease_until"),
        )


def _process_sepa(flux: Flux, path: Path) -> None:
    from pigp.formats.sepa import validate as validate_sepa

    report = validate_sepa(path)
    _fail_if_interrupted(report, lambda: _save_sepa_findings(flux, report.findings))
    errors = report.errors
    with transaction.atomic():
        _save_sepa_findings(flux, report.findings)
        flux.schema_version = (report.version or "")[:20]
        flux.summary = {
            "message": report.msg_id,
            "transactions": report.count,
            "total": str(report.total),
            "lots": len(report.batches),
        }
        flux.lease_until = None
        flux.save(update_fields=["schema_version", "summary"])
        if errors or not report.schema_valid:
            first = errors[0].message if errors else "Fichier non conforme au schéma."
            set_status(
                flux,
                StatutFlux.REFUSE,
                f"Fichier SEPA refusé : {len(errors)} anomalie(s). {first}",
                extra_fields=("lease_until",),
            )
        else:
            set_status(
                flux,
                StatutFlux.TRANSMIS,
                f"Fichier SEPA contrôlé ({report.count} opération(s), {report.total} EUR) et transmis au comptable.",
                extra_fields=("lease_until",),
            )


def _save_sepa_findings(flux: Flux, findings: Iterable[SepaFinding]) -> None:
    _replace_findings(
        flux,
        [
            FluxFinding(
                flux=flux,
                code=str(f.code)[:64],
                severity=str(f.severity),
                scope="flux",
                message=f.message,
                path=(f.location.path or "")[:500],
                line=f.location.line,
                bordereau=(f.location.batch or "")[:40],
                piece=(f.location.end_to_end_id or "")[:40],
            )
            for f in findings
        ],
    )


def recover_stale() -> list[int]:
    """Flows left "en cours" by a worker that died: release them and enqueue them again; and
    acknowledged flows still not in the ledger past their due time: hand them off again."""
    now = timezone.now()
    stale = list(
        Flux.objects.filter(statut=StatutFlux.EN_COURS, lease_until__lt=now).values_list(
            "pk", flat=True
        )
    )
    orphaned = list(
        Flux.objects.filter(
            statut=StatutFlux.POSTE, created_at__lt=now - datetime.timedelta(minutes=5)
        ).values_list("pk", flat=True)
    )
    for pk in [*stale, *orphaned]:
        enqueue_processing(pk)
    from pigp.passerelle import integration

    return [*stale, *orphaned, *integration.resend_due()]
