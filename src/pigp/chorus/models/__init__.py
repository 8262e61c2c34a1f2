from pigp.chorus.models.factures import (
    Depot,
    Facture,
    FactureEvent,
    FormatFacture,
    IssueDepot,
    KindFacture,
    StatutFacture,
)
from pigp.chorus.models.parties import (
    CompteFournisseur,
    Fournisseur,
    ServiceDestinataire,
    StructureDestinataire,
)

__all__ = [
    "CompteFournisseur",
    "Depot",
    "Facture",
    "FactureEvent",
    "FormatFacture",
    "Fournisseur",
    "IssueDepot",
    "KindFacture",
    "ServiceDestinataire",
    "StatutFacture",
    "StructureDestinataire",
]
