"""The deposit of an invoice by a supplier, and the resubmission of one À recycler.

`deposer` keeps the file first (nothing deposited is lost, even refused), validates it with
`pigp.formats.invoice`, then runs the checks in order, each written in the receipt (`Depot`):
readable invoice; XSD; Schematron; totals; the seller is the depositing supplier; not a
duplicate — a failure there refuses the deposit; then the addressing (known recipient, service
code, engagement) — a failure there creates the invoice À recycler (04) with the reason;
otherwise the invoice goes 01 → 02 → 03 and the recipient sees it.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from pigp.chorus import rendu, statuts
from pigp.chorus.controles import (
    UNREADABLE_RULES,
    Compte,
    check_adressage,
    findings_json,
    invoice_totals_problems,
    totals_problems,
)
from pigp.chorus.models import (
    Depot,
    Facture,
    FormatFacture,
    Fournisseur,
    IssueDepot,
    KindFacture,
    StatutFacture,
)
from pigp.core import files, journal
from pigp.core.models import StoredFile, User
from pigp.formats import invoice as einvoice

CHORUS = "Chorus Pro"
# The key fields a plain PDF must come with (typed in the deposit form), and their labels.
CHAMPS_PDF = {
    "numero": "numéro de facture",
    "date_emission": "date d'émission",
    "siret_acheteur": "SIRET de l'acheteur",
    "montant_ht": "montant HT",
    "montant_tva": "montant TVA",
    "montant_ttc": "montant TTC",
}


class DepotError(Exception):
    """A deposit that cannot even be received (empty file); the message is in French."""


@dataclass(frozen=True)
class Donnees:
    """What the invoice says, from its XML or from the fields typed with a plain PDF."""

    kind: str
    numero: str
    date_emission: datetime.date
    date_echeance: datetime.date | None
    devise: str
    montant_ht: Decimal
    montant_tva: Decimal
    montant_ttc: Decimal
    montant_a_payer: Decimal
    siret_vendeur: str
    siret_acheteur: str
    code_service: str
    numero_engagement: str
    numero_marche: str
    lignes: list[dict[str, Any]]


def _s(value: object) -> str | None:
    return None if value is None else str(value)


def _from_invoice(inv: einvoice.Invoice) -> Donnees | str:
    """The invoice's data, or what is missing for Chorus Pro to take it (French)."""
    missing = [
        label
        for label, value in (
            ("le numéro", inv.number),
            ("la date d'émission", inv.issue_date),
            ("le montant HT", inv.totals.ht),
            ("le montant TTC", inv.totals.ttc),
        )
        if value in (None, "")
    ]
    if missing:
        return "La facture ne porte pas " + ", ".join(missing) + "."
    assert inv.number and inv.issue_date and inv.totals.ht is not None
    assert inv.totals.ttc is not None
    tva = inv.totals.tva if inv.totals.tva is not None else inv.totals.ttc - inv.totals.ht
    return Donnees(
        kind=KindFacture.AVOIR if inv.kind == "credit_note" else KindFacture.FACTURE,
        numero=inv.number.strip()[:100],
        date_emission=inv.issue_date,
        date_echeance=inv.due_date,
        devise=(inv.currency or "EUR")[:3],
        montant_ht=inv.totals.ht,
        montant_tva=tva,
        montant_ttc=inv.totals.ttc,
        montant_a_payer=(inv.totals.payable if inv.totals.payable is not None else inv.totals.ttc),
        siret_vendeur=(inv.seller.siret if inv.seller else None) or "",
        siret_acheteur=(inv.buyer.siret if inv.buyer else None) or "",
        code_service=(inv.buyer_reference or "").strip()[:100],
        numero_engagement=(inv.order_reference or "").strip()[:100],
        numero_marche=(inv.contract or "").strip()[:100],
        lignes=[
            {
                "id": line.id,
                "description": line.description,
                "quantite": _s(line.quantity),
                "unite": line.unit,
                "prix_unitaire": _s(line.unit_price),
                "montant_ht": _s(line.net_amount),
                "categorie_tva": line.vat_category,
                "taux_tva": _s(line.vat_rate),
            }
            for line in inv.lines
        ],
    )


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    text = str(value or "").strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
    try:
        number = Decimal(text)
        return number.quantize(Decimal("0.01")) if number.is_finite() else None
    except InvalidOperation:  # not a number, or too many digits to be an amount
        return None


def _date(value: object) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _from_typed(champs: Mapping[str, Any], fournisseur: Fournisseur) -> Donnees | str:
    """The data typed with a plain PDF, or what is missing or malformed (French)."""
    missing = [label for key, label in CHAMPS_PDF.items() if not str(champs.get(key) or "").strip()]
    if missing:
        return (
            "Un PDF sans données structurées doit être accompagné de : " + ", ".join(missing) + "."
        )
    date = _date(champs["date_emission"])
    amounts = {k: _decimal(champs[k]) for k in ("montant_ht", "montant_tva", "montant_ttc")}
    bad = [CHAMPS_PDF[k] for k, v in amounts.items() if v is None]
    if date is None:
        bad.insert(0, CHAMPS_PDF["date_emission"])
    if bad:
        return "Ces champs saisis ne sont pas valides : " + ", ".join(bad) + "."
    assert date is not None
    ht, tva, ttc = (amounts[k] or Decimal(0) for k in ("montant_ht", "montant_tva", "montant_ttc"))
    return Donnees(
        kind=KindFacture.AVOIR if champs.get("kind") == KindFacture.AVOIR else KindFacture.FACTURE,
        numero=str(champs["numero"]).strip()[:100],
        date_emission=date,
        date_echeance=_date(champs.get("date_echeance")),
        devise="EUR",
        montant_ht=ht,
        montant_tva=tva,
        montant_ttc=ttc,
        montant_a_payer=ttc,
        siret_vendeur=fournisseur.siret,
        siret_acheteur=str(champs["siret_acheteur"]).replace(" ", "").strip(),
        code_service=str(champs.get("code_service") or "").strip()[:100],
        numero_engagement=str(champs.get("numero_engagement") or "").strip()[:100],
        numero_marche=str(champs.get("numero_marche") or "").strip()[:100],
        lignes=[],
    )


def _media_type(data: bytes) -> str:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"<"):
        return "application/xml"
    return "application/octet-stream"


def _keep(fichier: bytes | files.SpooledFile) -> tuple[bytes, StoredFile]:
    if isinstance(fichier, files.SpooledFile):
        data = fichier.path.read_bytes()
        return data, files.keep(fichier, media_type=_media_type(data))
    if not fichier:
        raise DepotError("Le fichier déposé est vide.")
    return fichier, files.store_bytes(fichier, media_type=_media_type(fichier))


class _Refus(Exception):
    """Ends the checks: the deposit is refused (the receipt says why)."""


def _checks(
    data: bytes, fournisseur: Fournisseur, compte: Compte, champs: Mapping[str, Any] | None
) -> tuple[einvoice.Report | None, Donnees]:
    """The refusing checks, in order; raises `_Refus` at the first that fails."""
    try:
        report = einvoice.validate(data)
    except einvoice.InvoiceError as exc:
        compte.erreur("Facture lisible", str(exc))
        raise _Refus from None
    unreadable = [f for f in report.errors if f.rule in UNREADABLE_RULES]
    if unreadable:
        compte.erreur("Facture lisible", " ".join(f.message_fr for f in unreadable))
        raise _Refus(report)
    if report.format == FormatFacture.PDF:
        donnees = _from_typed(champs or {}, fournisseur)
        if isinstance(donnees, str):
            compte.erreur("Facture lisible", donnees)
            raise _Refus(report)
        compte.ok("Facture lisible", "PDF simple, accompagné des données saisies.")
        problems = totals_problems(donnees.montant_ht, donnees.montant_tva, donnees.montant_ttc)
    else:
        label = f"{FormatFacture(report.format).label}, profil {report.profile or '—'}."
        compte.ok("Facture lisible", label)
        xsd = [f for f in report.errors if f.rule == "xsd"]
        if xsd:
            compte.erreur(
                "Conformité au schéma (XSD)", f"{len(xsd)} erreur(s) : {xsd[0].message_fr}"
            )
            raise _Refus(report)
        compte.ok("Conformité au schéma (XSD)", "Conforme.")
        rules = [f for f in report.errors if f.rule != "xsd"]
        warnings = [f for f in report.findings if not f.blocking]
        if rules:
            first = rules[0]
            compte.erreur(
                "Règles métier (Schematron)",
                f"{len(rules)} erreur(s) bloquante(s) : [{first.rule}] {first.message_fr}",
            )
            raise _Refus(report)
        if warnings:
            compte.add(
                "Règles métier (Schematron)",
                "avertissement",
                f"{len(warnings)} avertissement(s), non bloquant(s).",
            )
        else:
            compte.ok("Règles métier (Schematron)", "Aucune erreur.")
        if report.invoice is None:
            compte.erreur(
                "Données de la facture", "Les données de la facture n'ont pas pu être lues."
            )
            raise _Refus(report)
        donnees = _from_invoice(report.invoice)
        if isinstance(donnees, str):
            compte.erreur("Données de la facture", donnees)
            raise _Refus(report)
        problems = invoice_totals_problems(report.invoice)
    if problems:
        compte.erreur("Montants", " ".join(problems))
        raise _Refus(report)
    compte.ok(
        "Montants",
        f"HT {donnees.montant_ht} + TVA {donnees.montant_tva} = TTC {donnees.montant_ttc}.",
    )
    if donnees.siret_vendeur != fournisseur.siret:
        compte.erreur(
            "Fournisseur",
            f"Le SIRET du vendeur de la facture ({donnees.siret_vendeur or 'absent'}) n'est pas "
            f"celui de {fournisseur.raison_sociale} ({fournisseur.siret}).",
        )
        raise _Refus(report)
    compte.ok("Fournisseur", f"{fournisseur.raison_sociale} ({fournisseur.siret}).")
    if _is_duplicate(fournisseur, donnees):
        compte.erreur("Doublon", _duplicate_message(donnees))
        raise _Refus(report)
    compte.ok("Doublon", "Première facture de ce numéro pour cette année.")
    return report, donnees


def _is_duplicate(fournisseur: Fournisseur, donnees: Donnees) -> bool:
    return Facture.objects.filter(
        fournisseur=fournisseur, numero=donnees.numero, annee_emission=donnees.date_emission.year
    ).exists()


def _duplicate_message(donnees: Donnees) -> str:
    return (
        f"Une facture n° {donnees.numero} de {donnees.date_emission.year} a déjà été déposée "
        "par ce fournisseur."
    )


def deposer(
    fournisseur: Fournisseur,
    user: User | None,
    fichier: bytes | files.SpooledFile,
    nom: str,
    champs_saisis: Mapping[str, Any] | None = None,
) -> Depot:
    """Receive one invoice file from `fournisseur`'s `user`; the receipt says what became of it."""
    data, stored = _keep(fichier)
    compte = Compte()
    report: einvoice.Report | None = None
    donnees: Donnees | None = None
    try:
        report, donnees = _checks(data, fournisseur, compte, champs_saisis)
    except _Refus as refus:
        report = refus.args[0] if refus.args else None
    rendered = None
    if donnees is not None and report is not None and report.format in rendu.XML_FORMATS:
        rendered = rendu.render_pdf(report.invoice)  # file work: before the transaction
    depot = Depot(
        fournisseur=fournisseur,
        deposant=user if user is not None and user.is_authenticated else None,
        nom_fichier=(nom or "facture")[:255],
        issue=IssueDepot.REFUSEE,
        fichier=stored,
        rapport=findings_json(report.findings) if report is not None else [],
    )
    with transaction.atomic():
        if donnees is not None and report is not None:
            try:
                with transaction.atomic():
                    depot.facture = _create(
                        fournisseur, user, donnees, report, stored, compte, rendered
                    )
            except IntegrityError:
                # Deposited twice at the same moment: the other one won.
                compte.erreur("Doublon", _duplicate_message(donnees))
        if depot.facture is not None:
            routed = depot.facture.statut == StatutFacture.MISE_A_DISPOSITION
            depot.issue = IssueDepot.ACCEPTEE if routed else IssueDepot.A_RECYCLER
        depot.controles = compte.controles
        depot.save()
        journal.record(
            "chorus_depot",
            actor=user,
            obj=depot,
            collectivite=depot.facture.collectivite_id if depot.facture else None,
            details={"issue": depot.issue, "fichier": depot.nom_fichier, "sha256": stored.sha256},
        )
    return depot


def _create(
    fournisseur: Fournisseur,
    user: User | None,
    d: Donnees,
    report: einvoice.Report,
    stored: StoredFile,
    compte: Compte,
    rendered: StoredFile | None = None,
) -> Facture:
    now = timezone.now()
    is_pdf = report.format in (FormatFacture.FACTURX, FormatFacture.PDF)
    facture = Facture.objects.create(
        fournisseur=fournisseur,
        numero=d.numero,
        kind=d.kind,
        date_emission=d.date_emission,
        date_echeance=d.date_echeance,
        date_reception=now,
        statut_le=now,
        devise=d.devise,
        montant_ht=d.montant_ht,
        montant_tva=d.montant_tva,
        montant_ttc=d.montant_ttc,
        montant_a_payer=d.montant_a_payer,
        siret_acheteur=d.siret_acheteur,
        code_service=d.code_service,
        numero_engagement=d.numero_engagement,
        numero_marche=d.numero_marche,
        format=report.format,
        profil=report.profile or "",
        original=stored,
        pdf=stored if is_pdf else rendered,
        rapport=findings_json(report.findings),
        lignes=d.lignes,
    )
    statuts.record_initial(facture, actor=user)
    _route(facture, compte)
    return facture


def _route(facture: Facture, compte: Compte) -> None:
    """The addressing checks, then 01 → 02 → 03, or 01 → 04 with the reasons."""
    adressage = check_adressage(
        compte, facture.siret_acheteur, facture.code_service, facture.numero_engagement
    )
    facture.collectivite = adressage.collectivite
    facture.service = adressage.service
    facture.save(update_fields=["collectivite", "service"])
    if adressage.motifs:
        statuts.transition(
            facture,
            StatutFacture.A_RECYCLER,
            actor_label=CHORUS,
            motif=" ".join(adressage.motifs),
        )
        return
    statuts.transition(facture, StatutFacture.EN_COURS_ACHEMINEMENT, actor_label=CHORUS)
    statuts.transition(facture, StatutFacture.MISE_A_DISPOSITION, actor_label=CHORUS)


def resoumettre(
    facture: Facture,
    user: User | None,
    *,
    code_service: str | None = None,
    numero_engagement: str | None = None,
    siret_acheteur: str | None = None,
) -> Depot:
    """The supplier corrects the addressing of an invoice À recycler (04) and submits it again:
    04 → 01, then the addressing checks run again (→ 03, or → 04 with the new reason)."""
    if facture.statut != StatutFacture.A_RECYCLER:
        raise statuts.TransitionError(
            f"La facture n° {facture.numero} n'est pas à recycler : son adressage ne peut plus "
            "être corrigé."
        )
    compte = Compte()
    with transaction.atomic():
        facture = Facture.objects.select_for_update().get(pk=facture.pk)
        changes = {
            "code_service": code_service,
            "numero_engagement": numero_engagement,
            "siret_acheteur": siret_acheteur,
        }
        for name, value in changes.items():
            if value is not None:
                setattr(
                    facture,
                    name,
                    value.replace(" ", "") if name == "siret_acheteur" else value.strip(),
                )
        facture.save(update_fields=list(changes))
        statuts.transition(facture, StatutFacture.DEPOSEE, actor=user, motif="Nouvelle soumission")
        compte.ok("Nouvelle soumission", "Adressage corrigé par le fournisseur.")
        _route(facture, compte)
        routed = facture.statut == StatutFacture.MISE_A_DISPOSITION
        depot = Depot.objects.create(
            fournisseur=facture.fournisseur,
            deposant=user if user is not None and user.is_authenticated else None,
            nom_fichier=f"Facture n° {facture.numero} (nouvelle soumission)"[:255],
            issue=IssueDepot.ACCEPTEE if routed else IssueDepot.A_RECYCLER,
            controles=compte.controles,
            facture=facture,
            fichier=facture.original,
        )
        journal.record(
            "chorus_depot",
            actor=user,
            obj=depot,
            collectivite=facture.collectivite_id,
            details={"issue": depot.issue, "facture": facture.pk, "resoumission": True},
        )
    return depot


def completer(facture: Facture, user: User | None, *, commentaire: str) -> Facture:
    """The supplier completes an invoice the recipient suspended (06 → 12 Complétée), saying
    what it brings; the delay clock runs again from where it stopped."""
    commentaire = (commentaire or "").strip()
    if facture.statut != StatutFacture.SUSPENDUE:
        raise statuts.TransitionError(
            f"La facture n° {facture.numero} n'est pas suspendue : il n'y a rien à compléter."
        )
    if not commentaire:
        raise statuts.TransitionError("Dites ce que vous apportez pour compléter la facture.")
    return statuts.transition(facture, StatutFacture.COMPLETEE, actor=user, motif=commentaire)
