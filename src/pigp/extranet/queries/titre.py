"""A titre's page: lines, encaissements, recovery stages, history and PJ."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pigp.helios.models import Encaissement, Ligne, Piece, PieceEvent, PieceJustificative, PjRef
from pigp.helios.money.recovery import STADE_MESSAGE
from pigp.helios.pj import pj_rows


@dataclass(frozen=True)
class TitreDetail:
    lignes: list[Ligne]
    encaissements: list[Encaissement]
    events: list[PieceEvent]
    pjs: list[tuple[PjRef, PieceJustificative | None]]

    @property
    def recouvre(self) -> Decimal:
        return sum((e.montant for e in self.encaissements), Decimal("0.00"))

    @property
    def stades(self) -> list[tuple[PieceEvent, str]]:
        """The events by which the titre reached a recovery stage, each with what it says
        after « Stade de recouvrement : »."""
        return [
            (e, e.message.removeprefix(STADE_MESSAGE))
            for e in self.events
            if e.message.startswith(STADE_MESSAGE)
        ]


def detail(titre: Piece) -> TitreDetail:
    """Everything the titre's page shows, in five queries whatever the titre holds."""
    return TitreDetail(
        lignes=list(titre.lignes.order_by("id")),
        encaissements=list(
            titre.encaissements.select_related("prelevement").order_by("date", "id")
        ),
        events=list(titre.events.order_by("at", "id")),
        pjs=pj_rows(titre),
    )
