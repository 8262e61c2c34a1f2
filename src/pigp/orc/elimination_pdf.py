"""The bordereau d'élimination as a PDF (fpdf2, Roboto from `font-roboto`: nothing fetched)."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from pigp.formats.pdfdoc import FONT, new_document
from pigp.orc.models import Elimination


def _line(pdf: FPDF, text: str, *, bold: bool = False, size: int = 9) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render(bordereau: Elimination) -> bytes:
    pdf = new_document(f"Bordereau d'élimination {bordereau.numero}")
    c = bordereau.collectivite
    _line(pdf, f"Bordereau d'élimination {bordereau.numero}", bold=True, size=14)
    _line(pdf, f"{c.nom} — SIRET {c.siret}")
    _line(pdf, f"Statut : {bordereau.get_statut_display()}")
    _line(pdf, f"Établi le {bordereau.cree_le:%d/%m/%Y}")
    for label, when in (
        ("Approuvé le", bordereau.approuve_le),
        ("Visé le" if bordereau.statut != "refuse" else "Refusé le", bordereau.vise_le),
        ("Exécuté le", bordereau.execute_le),
    ):
        if when is not None:
            _line(pdf, f"{label} {when:%d/%m/%Y}")
    if bordereau.motif_refus:
        _line(pdf, f"Motif du refus : {bordereau.motif_refus}")
    pdf.ln(3)
    units = list(bordereau.units.order_by("annee", "domaine", "numero_bordereau", "numero", "pk"))
    _line(pdf, f"Pièces ({len(units)})", bold=True, size=11)
    with pdf.table(
        col_widths=(12, 14, 14, 14, 60, 22, 22),
        text_align=("LEFT", "LEFT", "LEFT", "LEFT", "LEFT", "RIGHT", "LEFT"),
        line_height=4.5,
    ) as table:
        table.row(["Exercice", "Nature", "Bordereau", "Pièce", "Objet", "TTC (€)", "Fin de DUA"])
        for u in units:
            table.row(
                [
                    str(u.annee),
                    "Mandat" if u.domaine == "depense" else "Titre",
                    u.numero_bordereau,
                    u.numero,
                    u.objet[:120],
                    f"{u.mt_ttc}",
                    f"{u.dua_fin:%d/%m/%Y}" if u.dua_fin else "",
                ]
            )
    if bordereau.ecartees:
        pdf.ln(3)
        _line(pdf, f"Pièces écartées ({len(bordereau.ecartees)})", bold=True, size=11)
        for e in bordereau.ecartees:
            _line(
                pdf,
                f"Pièce {e.get('numero')} (bordereau {e.get('bordereau')}, {e.get('annee')}) — {e.get('raison')}",
            )
    return bytes(pdf.output())
