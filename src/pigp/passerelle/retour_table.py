"""A PES_Retour read back as a table for the mailbox page (streamed, bounded)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from pigp.core import files
from pigp.formats.pes import PesFormatError, read_retour
from pigp.formats.pes import records as r
from pigp.passerelle.models import MailboxItem
from pigp.passerelle.motifs import motifs_for

logger = logging.getLogger(__name__)

MAX_PIECES = 2000

# EtatPce of a PES_Retour (dépense and recette share the codes at pièce level).
ETATS = {
    "01": "mise en instance",
    "02": "prise en charge",
    "03": "mise en instance",
    "04": "rejetée",
    "05": "soldée",
}
ETATS_DEPENSE = {**ETATS, "05": "payée"}
ETATS_RECETTE = {**ETATS, "05": "recouvrée"}


@dataclass(frozen=True)
class Row:
    piece: r.RetourPiece
    etat: str
    montant: Decimal | None
    motif: str | None


@dataclass
class Bordereau:
    exercice: str | None
    id_bord: str | None
    typ_bord: str | None
    rows: list[Row] = field(default_factory=list)


@dataclass
class RetourTable:
    header: r.FluxHeader | None = None
    domaine: str | None = None
    bordereaux: list[Bordereau] = field(default_factory=list)
    shown: int = 0
    truncated: bool = False
    error: str | None = None

    @property
    def domaine_label(self) -> str:
        return {"depense": "dépense", "recette": "recette"}.get(self.domaine or "", "—")


def etat_label(piece: r.RetourPiece) -> str:
    labels = ETATS_RECETTE if piece.domaine == "recette" else ETATS_DEPENSE
    if piece.etat is None:
        return "—"
    return labels.get(piece.etat, f"état {piece.etat}")


def read_table(item: MailboxItem, limit: int = MAX_PIECES) -> RetourTable:
    """Stream the stored file through the PES reader; stop after ``limit`` pièces."""
    table = RetourTable()
    try:
        with files.open_stored(item.fichier) as fh:
            for rec in read_retour(fh):
                if isinstance(rec, r.FluxHeader):
                    table.header = rec
                elif isinstance(rec, r.RetourDomaine):
                    table.domaine = rec.domaine
                elif isinstance(rec, r.RetourPiece):
                    if table.shown >= limit:
                        table.truncated = True
                        break
                    table.domaine = table.domaine or rec.domaine
                    last = table.bordereaux[-1] if table.bordereaux else None
                    if last is None or (last.exercice, last.id_bord) != (rec.exercice, rec.id_bord):
                        last = Bordereau(rec.exercice, rec.id_bord, rec.typ_bord)
                        table.bordereaux.append(last)
                    last.rows.append(Row(rec, etat_label(rec), montant(rec), motif_label(rec)))
                    table.shown += 1
    except Exception as exc:
        # The reader's errors are in French and name no path; anything else (storage, a bug in
        # the reader) is logged and shown without its details. Either way the page still offers
        # the download: a file that cannot be shown is never a 500.
        if isinstance(exc, PesFormatError):
            reason = f" ({exc})"
        else:
            logger.exception("PES_Retour %s illisible", item.pk)
            reason = ""
        table.error = (
            f"Ce fichier ne peut pas être lu comme un PES_Retour{reason}."
            " Téléchargez-le pour l'ouvrir dans un autre outil."
        )
        table.bordereaux = []
        table.shown = 0
    return table


def montant(piece: r.RetourPiece) -> Decimal | None:
    values = [lg.mt_ht for lg in piece.lignes if lg.mt_ht is not None]
    values += [lg.mt_tva for lg in piece.lignes if lg.mt_tva is not None]
    return sum(values, Decimal(0)) if values else None


def motif_label(piece: r.RetourPiece) -> str | None:
    """« 01 09 » → each code with its libellé (an unknown code is shown as is)."""
    if not piece.obs_etat:
        return None
    labels = motifs_for(piece.domaine)
    return " ; ".join(
        f"{code} — {labels[code]}" if code in labels else code for code in piece.obs_etat.split()
    )
