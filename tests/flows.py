"""Flows the tests generate for their collectivité, so that app tests need no reference sample.

`pigp.formats.pes.generator` writes PES_Aller valid against the schemas; the real samples of
../shared (tests/reference.py) serve the format conformance tests only."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from pigp.core.models import Budget, Collectivite
from pigp.formats.pes.generator import generate_pes_aller
from pigp.formats.pes.retour import LineState, PieceState, RetourHeader, build_retour_depense
from pigp.passerelle import intake
from pigp.passerelle.models import Flux, StatutFlux


def _header(coll: Collectivite, budget: Budget | None) -> dict[str, str]:
    budget = budget or coll.budgets.order_by("pk").first()
    assert budget is not None, f"{coll} has no budget"
    return {
        "id_post": coll.poste.codique,
        "id_coll": coll.siret,
        "cod_col": budget.cod_col,
        "cod_bud": budget.cod_bud,
    }


def aller_bytes(coll: Collectivite, *, budget: Budget | None = None, **kw: Any) -> bytes:
    """A generated PES_Aller of `coll` (its first budget unless told): one bordereau of one
    mandat unless told otherwise. The same arguments give the same bytes."""
    out = io.BytesIO()
    generate_pes_aller(out, **{"pieces": 1, **_header(coll, budget), **kw})
    return out.getvalue()


def receive_generated(
    coll: Collectivite, path: Path, *, budget: Budget | None = None, **kw: Any
) -> Flux:
    """Write a generated PES_Aller of `coll` (its first budget unless told) at `path`, deposit it
    on the web channel and return its flow, which must have been acknowledged."""
    generate_pes_aller(path, **{**_header(coll, budget), "nom_fic": path.stem, **kw})
    with path.open("rb") as fh:
        [received] = intake.receive(fh, filename=path.name, collectivite=coll, canal="web")
    flux = Flux.objects.get(pk=received.flux.pk)
    assert flux.statut == StatutFlux.ACQUITTE, flux.message
    return flux


def with_wrong_bordereau_total(content: bytes) -> bytes:
    """The flow with its first bordereau's MtBordHT off by one cent: a business error
    (ERREUR_CUMUL_MONTANTS) in a schema-valid file."""
    start = content.index(b'<MtBordHT V="') + len(b'<MtBordHT V="')
    end = content.index(b'"', start)
    wrong = Decimal(content[start:end].decode()) + Decimal("0.01")
    return content[:start] + str(wrong).encode() + content[end:]


def retour_bytes(coll: Collectivite, *, budget: Budget | None = None) -> bytes:
    """A PES_Retour (dépense) of `coll`: one mandat en instance, as the comptable sends it."""
    h = _header(coll, budget)
    header = RetourHeader(h["id_post"], h["id_coll"], h["cod_col"], h["cod_bud"])
    piece = PieceState(
        exercice=2025,
        id_bord=1,
        id_pce=1,
        etat="01",
        lines=(LineState(id_ligne=1, etat="01", mt_ht=Decimal("39724.75"), obs_etat="12"),),
    )
    return build_retour_depense(
        [piece], header, when=dt.datetime(2025, 3, 8, 18, 23, 9, tzinfo=dt.UTC)
    )


def acquit_retour_xml(coll: Collectivite, retour_name: str) -> bytes:
    """A schema-valid PES_ACQUIT_RETOUR of `coll` acknowledging the PES_Retour `retour_name`."""
    budget = coll.budgets.order_by("pk").first()
    assert budget is not None, f"{coll} has no budget"
    return f"""<?xml version="1.0" encoding="ISO-8859-1"?>
<n:PES_ACQUIT_RETOUR xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller/ack">
  <Enveloppe>
    <Parametres><Version V="2"/><TypFic V="PES2R_DEP"/><NomFic V="ACK_{retour_name}"/></Parametres>
    <Emetteur><Sigle V="LOGICIEL"/><Adresse V="Logiciel financier 1.0"/></Emetteur>
  </Enveloppe>
  <EnTetePES>
    <DteStr V="2025-03-10"/><IdPost V="{coll.poste.codique}"/><IdColl V="{coll.siret}"/>
    <CodCol V="{budget.cod_col}"/><CodBud V="{budget.cod_bud}"/>
  </EnTetePES>
  <ACQUIT_RETOUR>
    <EnTeteAcquit_Retour><IdVer V="2"/></EnTeteAcquit_Retour>
    <ElementACQUIT_RETOUR>
      <DomaineAckRetour V="13"/><NomFichierRetour V="{retour_name}"/>
      <TypRestit V="02"/><DateAcquit V="2025-03-10"/>
    </ElementACQUIT_RETOUR>
  </ACQUIT_RETOUR>
</n:PES_ACQUIT_RETOUR>
""".encode("iso-8859-1")


def incomplete_acquit_retour_xml(coll: Collectivite, retour_name: str) -> bytes:
    """A PES_ACQUIT_RETOUR missing its required DateAcquit: refused by the schema."""
    return acquit_retour_xml(coll, retour_name).replace(b'<DateAcquit V="2025-03-10"/>', b"")
