"""ObsEtat motif codes of PES_Retour, for rejects and mises en instance.

Source: the enumerations `TObsEtat` of `RETOUR/NS_Depense/r0/CommunDepense_Retour.xsd` and
`RETOUR/NS_Recette/r0/CommunRecette_Retour.xsd` (PES V2 schemas v5.17, DGFiP), labels as
documented there (spelling mended where the schema has a typo).
"""

MOTIFS_DEPENSE: dict[str, str] = {
    "01": "Absence totale ou invalidité des pièces justificatives",
    "02": "Insuffisance des pièces justificatives",
    "03": "Insuffisance de crédits budgétaires",
    "04": "Liquidation erronée",
    "05": "Absence de certification du service fait et du caractère exécutoire",
    "06": "Autre motif",
    "07": "Double paiement",
    "09": "Domiciliation bancaire absente ou erronée",
    "10": "Récupération d'avance non effectuée",
    "11": "Incompétence du donneur d'ordre",
    "13": "Prescription et déchéance",
    "16": "Mandat non établi au nom du véritable créancier",
    "23": "Erreur d'imputation comptable et budgétaire",
    "24": "Rejet technique",
}

MOTIFS_RECETTE: dict[str, str] = {
    "01": "Absence de caractère exécutoire",
    "02": "Absence d'indication de la créance",
    "03": "Absence d'indication du débiteur",
    "04": "Imputation budgétaire erronée",
    "05": "Prescription",
    "06": "Autres",
    "07": "Absence de référence à la pièce d'origine",
    "08": "Type de bordereau de titre inexistant",
    "09": "Exercice du bordereau non ouvert",
    "10": "Bordereau sans date d'émission",
    "11": "Montant du bordereau incohérent",
    "12": "Absence de signature sur le bordereau",
    "13": "Absence de TVA pour une collectivité assujettie",
    "14": "Incompétence du donneur d'ordre",
    "15": "Insuffisance des pièces justificatives",
    "16": "Absence ou invalidité des pièces justificatives",
    "17": "Domiciliation bancaire absente ou erronée",
    "18": "Numéro de bordereau en doublon",
    "19": "Complément d'information nécessaire",
    "20": "Attente du titre récapitulatif",
    "21": "Titre incomplet",
}


def motifs_for(domaine: str) -> dict[str, str]:
    return MOTIFS_DEPENSE if domaine == "depense" else MOTIFS_RECETTE
