"""The PDF of an attestation d'archivage (per pièce or monthly), made from its stored content.

fpdf2 in Roboto (the ``font-roboto`` package, as the invoice rendering): fpdf2's core fonts are
Latin-1 only. The PDF only renders `Attestation.contenu`; the JSON and its SHA-512 are the proof.
"""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from pigp.formats.pdfdoc import FONT, Document, new_document
from pigp.orc.models import Attestation, KindAttestation


def _new(title: str) -> Document:
    pdf = new_document(title)
    pdf.set_font(FONT, "B", 15)
    pdf.multi_cell(0, 8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    return pdf


def _line(pdf: FPDF, text: str, *, bold: bool = False, size: int = 9) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.55, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.ln(3)
    _line(pdf, text, bold=True, size=11)
    pdf.ln(1)


def _documents(pdf: FPDF, documents: list[dict[str, Any]]) -> None:
    for doc in documents:
        label = doc.get("role_libelle") or doc.get("role", "")
        mark = " — copie numérisée d'un original papier" if doc.get("copie_numerisee") else ""
        _line(pdf, f"{doc['nom']} ({label}{mark})", bold=True)
        _line(pdf, f"SHA-512 : {doc['sha512']}", size=8)
        if doc.get("archive_le"):
            _line(pdf, f"Archivé le {doc['archive_le'][:10]}, {doc.get('taille', 0)} octets")
        numerisation = doc.get("numerisation") or {}
        if numerisation:
            _line(
                pdf,
                f"Numérisé par {numerisation.get('numerise_par', '')} le "
                f"{numerisation.get('numerise_le', '')}, {numerisation.get('dispositif', '')}, "
                f"{numerisation.get('resolution_dpi', '')} dpi",
                size=8,
            )
        pdf.ln(1)


def _piece(piece: dict[str, Any]) -> str:
    return (
        f"{str(piece.get('nature', '')).capitalize()} n° {piece.get('numero', '')}, "
        f"bordereau {piece.get('bordereau', '')}, exercice {piece.get('exercice', '')}"
    )


def render(attestation: Attestation) -> bytes:
    content = attestation.contenu
    coll = content.get("collectivite", {})
    if attestation.kind == KindAttestation.MENSUELLE:
        pdf = _new(f"Attestation récapitulative d'archivage — {content.get('mois', '')}")
        _line(pdf, f"{coll.get('nom', '')} (SIRET {coll.get('siret', '')})", bold=True)
        _line(pdf, f"Émise le {content.get('emise_le', '')[:10]}")
        pdf.ln(2)
        _line(pdf, content.get("declaration", ""))
        _heading(
            pdf,
            f"{content.get('nombre_pieces', 0)} pièce(s), "
            f"{content.get('nombre_documents', 0)} pièce(s) justificative(s)",
        )
        for item in content.get("attestations", []):
            _line(pdf, _piece(item.get("piece", {})), bold=True)
            _line(pdf, f"Attestation émise le {item['emise_le'][:10]}, empreinte :", size=8)
            _line(pdf, item["empreinte"], size=7)
            _documents(pdf, item.get("documents", []))
        if not content.get("attestations"):
            _line(pdf, "Aucune attestation d'archivage n'a été émise ce mois-ci.")
    else:
        pdf = _new("Attestation d'archivage")
        _line(pdf, f"{coll.get('nom', '')} (SIRET {coll.get('siret', '')})", bold=True)
        _line(pdf, _piece(content.get("piece", {})))
        if content.get("rang", 1) > 1:
            _line(pdf, f"Attestation complémentaire n° {content['rang']}")
        _line(pdf, f"Émise le {content.get('emise_le', '')[:10]}")
        adh = content.get("adhesion") or {}
        if adh:
            _line(
                pdf,
                f"Convention signée le {adh.get('signee_le', '')} par {adh.get('signataire', '')}"
                f" ({adh.get('qualite', '')})",
            )
        pdf.ln(2)
        _line(pdf, content.get("declaration", ""))
        _heading(pdf, "Pièces justificatives conservées avec valeur probante")
        _documents(pdf, content.get("documents", []))
        _line(pdf, f"Copies vérifiées : {', '.join(content.get('copies', []))}", size=8)
    _heading(pdf, "Empreinte SHA-512 du contenu (JSON canonique)")
    _line(pdf, attestation.empreinte, size=7)
    return bytes(pdf.output())
