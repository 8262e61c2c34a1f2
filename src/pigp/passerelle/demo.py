"""Demo flows, deposited through the real intake and processed by the real pipeline."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from pigp.core.models import Collectivite, User
from pigp.passerelle import intake
from pigp.passerelle.models import Flux


def load_demo() -> int:
    """Deposit a few generated PES_Aller for the demo collectivités; returns flows created."""
    from pigp.formats.pes.generator import generate_pes_aller

    ordo = User.objects.filter(email="ordonnateur@demo.pigp.fr").first()
    coll = Collectivite.objects.filter(siret="21310555400017").select_related("poste").first()
    if ordo is None or coll is None or Flux.objects.filter(collectivite=coll).exists():
        return 0
    budget = coll.budgets.get(cod_col="055", cod_bud="00")
    created = 0
    with tempfile.TemporaryDirectory() as tmp:
        # IdBord is unique per exercice, type and budget: each demo flow uses its own
        # exercice (successive flows of one exercice would pass `id_bord_start`).
        specs = [
            ("depense", 3, 12, "PES_DEPENSE_2026_001", 2026),
            ("recette", 1, 8, "PES_RECETTE_2025_001", 2025),
            ("mixte", 1, 5, "PES_MIXTE_2024_001", 2024),
        ]
        for seed, (domaine, bordereaux, pieces, nom_fic, exercice) in enumerate(specs, start=1):
            path = Path(tmp) / f"{nom_fic}.xml"
            generate_pes_aller(
                path,
                seed=seed,
                bordereaux=bordereaux,
                pieces=pieces,
                lignes=2,
                domaine=domaine,  # type: ignore[arg-type]
                pj=2,
                id_post=coll.poste.codique,
                id_coll=coll.siret,
                cod_col=budget.cod_col,
                cod_bud=budget.cod_bud,
                exercice=exercice,
                nom_fic=nom_fic,
            )
            with path.open("rb") as fh:
                results = intake.receive(
                    fh, filename=path.name, collectivite=coll, canal="web", sender_user=ordo
                )
            created += sum(r.created for r in results)
        # A flow that the gateway refuses, so the demo shows findings.
        bad = b"<?xml version='1.0' encoding='ISO-8859-1'?><Facture><Montant>12</Montant></Facture>"
        results = intake.receive(
            io.BytesIO(bad),
            filename="facture_erronee.xml",
            collectivite=coll,
            canal="api",
            sender_user=ordo,
        )
        created += sum(r.created for r in results)
    return created
