"""The report every refused deposit leaves in the collectivité's mailbox (and so in SFTP
`retour/`), when its refusal produced no acknowledgement of its own.

A PES_Aller refused by its checks already has its PES_ACQUIT. Any other refusal — a file of
the wrong type (a PES_ACQUIT or PES_Retour deposited), an unknown root, a non-XML file, a
broken or oversized archive, a refused PES_ACQUIT_RETOUR — gets:

- a PES_ACQUIT (DomaineAck 0, EtatAck 0, one Erreur carrying the reason), the format the
  collectivité's software already reads, named `ACQUIT_<flux>_<file name>.xml`: the
  acknowledgement schema accepts it for any deposit, its header carrying the collectivité's
  own codique and SIRET;
- for a SEPA file (pain.001 / pain.008), which has no PES acknowledgement, a short French text
  report `REFUS_<flux>_<file name>.txt`.

`history.set_status` calls `deliver_refusal_report` for every change to « refusé » of a flow
without an acknowledgement, in the same transaction: no refusal path can forget it.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from pigp.passerelle.models import Flux, KindFlux, MailboxItem

SEPA_KINDS = frozenset({KindFlux.PAIN_001, KindFlux.PAIN_008})


def _stem(name: str) -> str:
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return stem or "fichier"


def report_name(flux: Flux) -> str:
    if flux.kind in SEPA_KINDS:
        return f"REFUS_{flux.pk}_{_stem(flux.original_name)}.txt"[:255]
    base = flux.nom_fic or _stem(flux.original_name)
    return f"ACQUIT_{flux.pk}_{base}.xml"[:255]


def _acquit(flux: Flux, reason: str) -> bytes:
    from pigp.formats.pes import Finding, Location, NumAnoAck, Report, Scope, Severity
    from pigp.formats.pes.acquit import build_acquit

    coll = flux.collectivite
    finding = Finding(
        code=NumAnoAck.AUTRE,
        severity=Severity.ERROR,
        scope=Scope.FLUX,
        message=f"Dépôt « {flux.original_name} » refusé : {reason}",
        location=Location(path="/"),
        rule="depot-refuse",
    )
    report = Report(
        schema_version=settings.PIGP_PES_VERSION,
        root=None,
        findings=(finding,),
        id_post=coll.poste.codique if coll.poste_id else None,
        id_coll=coll.siret,
    )
    return build_acquit(report, flow_name=flux.nom_fic or _stem(flux.original_name))


def _text(flux: Flux, reason: str) -> bytes:
    coll = flux.collectivite
    received = timezone.localtime(flux.created_at).strftime("%d/%m/%Y à %H:%M:%S")
    lines = [
        "PIGP — passerelle : dépôt refusé",
        "",
        f"Fichier : {flux.original_name}",
        f"Type : {flux.get_kind_display()}",
        f"Collectivité : {coll.nom} (SIRET {coll.siret})",
        f"Reçu le : {received} ({flux.get_canal_display()})",
        f"Flux n° {flux.pk} — identifiant de dépôt {flux.intake_id}",
        f"Empreinte SHA-256 : {flux.fichier.sha256}",
        "",
        f"Motif : {reason}",
        "",
        "Le fichier reçu est conservé tel quel. Corrigez-le, puis déposez-le de nouveau.",
        "",
    ]
    return "\n".join(lines).encode("utf-8")


def deliver_refusal_report(flux: Flux, reason: str) -> MailboxItem:
    """Put the refusal report of `flux` in its collectivité's mailbox (idempotent by name).

    A PES_ACQUIT becomes the flow's acknowledgement (`flux.acquit`, saved by the caller)."""
    from pigp.passerelle import mailbox

    if flux.kind in SEPA_KINDS:
        return mailbox.deliver(
            flux.collectivite,
            KindFlux.RAPPORT_REFUS,
            report_name(flux),
            _text(flux, reason),
            related_flux=flux,
            media_type="text/plain; charset=utf-8",
        )
    item = mailbox.deliver(
        flux.collectivite,
        KindFlux.PES_ACQUIT,
        report_name(flux),
        _acquit(flux, reason),
        related_flux=flux,
    )
    flux.acquit = item.fichier
    return item
