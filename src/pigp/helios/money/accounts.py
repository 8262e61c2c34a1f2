"""The poste's account at the Trésor, which a payment or direct-debit run uses and a bank
statement must belong to; `PaymentError` is a run refused, its message for the comptable."""

from __future__ import annotations

from pigp.core.models import Collectivite
from pigp.formats.sepa.identifiers import iban_problem
from pigp.helios.models import CompteTresor


class PaymentError(Exception):
    """A run that cannot be made; the message is for the comptable, in French."""


def compte_tresor(collectivite: Collectivite) -> CompteTresor:
    compte = CompteTresor.objects.filter(poste_id=collectivite.poste_id).first()
    if compte is None:
        raise PaymentError(
            "Aucun compte au Trésor n'est configuré pour le poste comptable : "
            "renseignez-le (titulaire, IBAN, BIC) avant de lancer une campagne."
        )
    problem = iban_problem(compte.iban.replace(" ", ""))
    if problem:
        raise PaymentError(f"L'IBAN du compte au Trésor du poste est invalide ({problem}).")
    return compte
