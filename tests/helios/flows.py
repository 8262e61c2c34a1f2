"""Generated PES_Aller flows received through the passerelle, for Hélios tests."""

from __future__ import annotations

from pathlib import Path

from pigp.core.models import Budget, Collectivite
from pigp.formats.pes.generator import generate_pes_aller
from pigp.passerelle import intake
from pigp.passerelle.models import Flux, StatutFlux


def receive_generated(
    coll: Collectivite, path: Path, *, budget: Budget | None = None, **kw
) -> Flux:
    """Write a generated PES_Aller of `coll` (its first budget unless told) at `path`, deposit it
    on the web channel and return its flow, which must have been acknowledged."""
    budget = budget or coll.budgets.first()
    generate_pes_aller(
        path,
        **{
            "id_post": coll.poste.codique,
            "id_coll": coll.siret,
            "cod_col": budget.cod_col,
            "cod_bud": budget.cod_bud,
            "nom_fic": path.stem,
            **kw,
        },
    )
    with path.open("rb") as fh:
        [received] = intake.receive(fh, filename=path.name, collectivite=coll, canal="web")
    flux = Flux.objects.get(pk=received.flux.pk)
    assert flux.statut == StatutFlux.ACQUITTE, flux.message
    return flux
