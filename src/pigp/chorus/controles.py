"""The checks a deposited invoice goes through, each giving one line of the compte rendu de
dépôt. Pure functions over the library's report and the database: `depot` runs them in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from pigp.chorus.models import ServiceDestinataire, StructureDestinataire
from pigp.core.models import Collectivite
from pigp.formats.invoice import Finding, Invoice

Resultat = Literal["ok", "avertissement", "erreur"]

# Findings that say the file could not be read, as opposed to a rule it breaks.
UNREADABLE_RULES = frozenset(
    {"dtd-interdite", "pdf-illisible", "taille-maximale", "xml-mal-forme", "lecture-interrompue"}
)


@dataclass
class Compte:
    """The receipt being written: one entry per check, in the order they ran."""

    controles: list[dict[str, str]] = field(default_factory=list)

    def add(self, controle: str, resultat: Resultat, message: str) -> None:
        self.controles.append({"controle": controle, "resultat": resultat, "message": message})

    def ok(self, controle: str, message: str) -> None:
        self.add(controle, "ok", message)

    def erreur(self, controle: str, message: str) -> None:
        self.add(controle, "erreur", message)


def findings_json(findings: tuple[Finding, ...]) -> list[dict[str, Any]]:
    return [
        {
            "regle": f.rule,
            "gravite": f.severity,
            "chemin": f.path,
            "ligne": f.line,
            "message": f.message_fr,
        }
        for f in findings
    ]


# The amounts' columns hold 16 digits, 2 of them decimals.
LIMIT = Decimal("1e12")


def _euros(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",") + " €"


def totals_problems(
    ht: Decimal | None,
    tva: Decimal | None,
    ttc: Decimal | None,
    *,
    payable: Decimal | None = None,
    prepaid: Decimal | None = None,
    lines: list[Decimal] | None = None,
    lines_total: Decimal | None = None,
) -> list[str]:
    """What does not add up, in French (empty when the totals agree). The Schematron rules
    check the same on EN 16931 invoices (BR-CO-10, -13, -15, -16); this also covers the
    profiles they do not (MINIMUM, BASIC WL) and the amounts typed with a plain PDF."""
    if ht is None or ttc is None:
        return ["Les montants HT et TTC de la facture sont absents."]
    if any(abs(v) >= LIMIT for v in (ht, tva, ttc, payable, prepaid) if v is not None):
        return ["Un montant de la facture dépasse la limite admise (mille milliards d'euros)."]
    problems = []
    if lines and lines_total is not None and sum(lines, Decimal(0)) != lines_total:
        problems.append(
            f"La somme des lignes ({_euros(sum(lines, Decimal(0)))}) ne correspond pas au total "
            f"des lignes ({_euros(lines_total)})."
        )
    if ht + (tva or Decimal(0)) != ttc:
        problems.append(
            f"Le montant HT ({_euros(ht)}) plus la TVA ({_euros(tva or Decimal(0))}) ne fait pas "
            f"le montant TTC ({_euros(ttc)})."
        )
    if payable is not None and payable != ttc - (prepaid or Decimal(0)):
        problems.append(
            f"Le montant à payer ({_euros(payable)}) n'est pas le TTC ({_euros(ttc)}) moins les "
            f"acomptes ({_euros(prepaid or Decimal(0))})."
        )
    return problems


def invoice_totals_problems(invoice: Invoice) -> list[str]:
    t = invoice.totals
    nets = [line.net_amount for line in invoice.lines]
    return totals_problems(
        t.ht,
        t.tva,
        t.ttc,
        payable=t.payable,
        prepaid=t.prepaid,
        lines=[n for n in nets if n is not None] if nets and None not in nets else None,
        lines_total=t.lines_total,
    )


@dataclass(frozen=True)
class Adressage:
    """Where the invoice goes: the collectivité and service found, and why it cannot be
    routed (empty when it can)."""

    collectivite: Collectivite | None
    service: ServiceDestinataire | None
    motifs: tuple[str, ...]


def check_adressage(
    compte: Compte, siret_acheteur: str, code_service: str, numero_engagement: str
) -> Adressage:
    """The addressing checks: a known recipient, its service code and engagement number when
    required. Each gives its line of the receipt; a failure means 04 À recycler, not a refusal."""
    collectivite = (
        Collectivite.objects.filter(siret=siret_acheteur).first() if siret_acheteur else None
    )
    if collectivite is None:
        motif = (
            f"Le SIRET de l'acheteur « {siret_acheteur} » n'est pas celui d'une structure "
            "destinataire connue."
            if siret_acheteur
            else "Le SIRET de l'acheteur est absent de la facture."
        )
        compte.add("Destinataire", "erreur", motif)
        return Adressage(None, None, (motif,))
    compte.ok("Destinataire", f"{collectivite.nom} ({collectivite.siret}).")
    structure = StructureDestinataire.objects.filter(collectivite=collectivite).first()
    motifs: list[str] = []
    service = None
    if code_service:
        service = ServiceDestinataire.objects.filter(
            collectivite=collectivite, code=code_service, actif=True
        ).first()
        if service is None:
            motifs.append(
                f"Le code service « {code_service} » n'est pas un service actif de "
                f"{collectivite.nom}."
            )
            compte.erreur("Code service", motifs[-1])
        else:
            compte.ok("Code service", f"{service.code} — {service.libelle}.")
    elif structure is not None and structure.service_code_requis:
        motifs.append(f"{collectivite.nom} exige un code service : il est absent de la facture.")
        compte.erreur("Code service", motifs[-1])
    else:
        compte.ok("Code service", "Non exigé par le destinataire.")
    required = (structure is not None and structure.engagement_requis) or (
        service is not None and service.engagement_requis
    )
    if numero_engagement:
        compte.ok("Numéro d'engagement", numero_engagement)
    elif required:
        motifs.append("Le destinataire exige un numéro d'engagement : il est absent de la facture.")
        compte.erreur("Numéro d'engagement", motifs[-1])
    else:
        compte.ok("Numéro d'engagement", "Non exigé par le destinataire.")
    return Adressage(collectivite, service, tuple(motifs))
