"""ObsEtat motif codes of PES_Retour: the table lives in the passerelle (the mailbox reads it too)."""

from pigp.passerelle.motifs import MOTIFS_DEPENSE, MOTIFS_RECETTE, motifs_for

__all__ = ["MOTIFS_DEPENSE", "MOTIFS_RECETTE", "motifs_for"]
