"""The proof report as a PDF (A4, French), from the report's dict: same content as its page,
digests and signatures in full (wrapped by character), in Roboto like the invoices."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from ..pdfdoc import FONT, new_document


def _line(pdf: FPDF, text: str, *, size: int = 9, bold: bool = False, mono: bool = False) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.multi_cell(
        0,
        size * 0.5,
        text,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
        wrapmode=WrapMode.CHAR if mono else WrapMode.WORD,
    )


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.ln(3)
    _line(pdf, text, size=12, bold=True)
    pdf.ln(1)


def _pair(pdf: FPDF, label: str, value: Any, *, mono: bool = False) -> None:
    _line(pdf, f"{label} : {'—' if value in (None, '') else value}", mono=mono)


def to_pdf(report: dict[str, Any]) -> bytes:
    unit = report["unite"]
    verdict = report["verdict"]
    title = f"Relevé de valeur probante — {unit['nature']} n° {unit['numero']}"
    pdf = new_document(title, footer="Relevé de valeur probante")
    _line(pdf, title, size=15, bold=True)
    _line(pdf, f"Établi le {report['etabli_le']}", size=8)
    pdf.ln(2)
    _line(pdf, f"Verdict : {verdict['libelle']}", size=12, bold=True)
    for motif in verdict["motifs"]:
        _line(pdf, f"• {motif}")
    for reserve in verdict["reserves"]:
        _line(pdf, f"Réserve : {reserve}")

    _heading(pdf, "Pièce archivée")
    _pair(pdf, "Collectivité", f"{unit['collectivite']['nom']} ({unit['collectivite']['siret']})")
    _pair(pdf, "Budget", unit["budget"])
    _pair(pdf, "Exercice", unit["exercice"])
    _pair(pdf, "Bordereau", unit["numero_bordereau"])
    _pair(pdf, "Objet", unit["objet"])
    _pair(pdf, "Tiers", f"{unit['tiers']['nom']} {unit['tiers']['siret']}".strip())
    _pair(pdf, "Montant TTC", f"{unit['montants']['ttc']} €")
    _pair(pdf, "Archivée le", unit["archivee_le"])
    _pair(pdf, "Statut", unit["statut"])

    _heading(pdf, "Documents et copies vérifiées à l'instant")
    for doc in report["documents"]:
        _line(pdf, f"{doc['nom']} ({doc['role_libelle']}, {doc['taille']} octets)", bold=True)
        _pair(pdf, "SHA-512", doc["sha512"], mono=True)
        for copy in doc["copies"]:
            state = "conforme" if copy["conforme"] else "NON CONFORME"
            _line(pdf, f"Copie « {copy['stockage']} » : {state} ({copy['verifiee_le']})")
        pdf.ln(1)

    _heading(pdf, "Journal")
    for entry in report["journal"]:
        content = entry["contenu"]
        seal = entry["scellement"]
        covered = f"scellement n° {seal}" if isinstance(seal, int) else seal
        _line(
            pdf,
            f"Entrée n° {entry['id']} — {content['timestamp']} — {entry['action']} — "
            f"{content['actor_label'] or 'système'} — {covered}",
            bold=True,
        )
        _pair(pdf, "Empreinte précédente", entry["empreinte_precedente"], mono=True)
        _pair(pdf, "Empreinte", entry["empreinte"], mono=True)

    _heading(pdf, "Scellements")
    for seal in report["scellements"]:
        fields = seal["charge_utile"]
        _line(
            pdf, f"Scellement n° {seal['id']} du {fields['at']} : {seal['verification']}", bold=True
        )
        _pair(pdf, "Entrées", f"{fields['count']} (jusqu'à l'entrée n° {fields['last_entry_id']})")
        _pair(pdf, "Charge utile signée", seal["charge_utile_canonique"], mono=True)
        _pair(pdf, "Signature Ed25519", seal["signature"], mono=True)
        stamp = seal.get("horodatage")
        if stamp:
            _pair(
                pdf,
                "Horodatage RFC 3161",
                f"{stamp.get('heure', stamp.get('erreur'))} ({stamp['autorite']})",
            )

    _heading(pdf, "Clé publique de la plateforme")
    _pair(pdf, "Identifiant (SHA-256)", report["plateforme"]["cle_id"], mono=True)
    _line(pdf, report["plateforme"]["cle_publique"], size=8, mono=True)
    _line(
        pdf,
        "Vérification indépendante : pigp orc check-proof RELEVE.json --key CLE_PUBLIQUE.pem",
        size=8,
    )
    return bytes(pdf.output())
