"""What the platform knows, answered to the PES validator."""

from __future__ import annotations

from pigp.core.models import Budget, Collectivite, PosteComptable
from pigp.passerelle.models import AcceptedBordereau, Flux, ReceivedPj, StatutFlux


class PlatformPesContext:
    """Implements `pigp.formats.pes.PlatformContext` over the database, for one flow.

    It answers only within the perimeter of the collectivité the flow was deposited for: a
    question about another SIRET gets "don't know" (None), so that no finding can tell a
    depositor what another collectivité received. (The pipeline refuses a flow whose header
    names another collectivité before validating it; this is the second lock.)
    """

    def __init__(self, flux: Flux) -> None:
        self.flux = flux
        # (id_coll, cod_col, cod_bud, exercice) -> {(typ_bord, id_bord, domaine)} accepted
        # earlier: one query per budget and exercice, not one per bordereau of the flow.
        self._accepted: dict[tuple[str, str, str, str], set[tuple[str, str, str]]] = {}

    def _foreign(self, id_coll: str) -> bool:
        return id_coll != self.flux.collectivite.siret

    def known_poste(self, id_post: str) -> bool | None:
        return PosteComptable.objects.filter(codique=id_post).exists()

    def collectivite_siret_matches(self, id_post: str, id_coll: str) -> bool | None:
        if self._foreign(id_coll):
            return None
        return Collectivite.objects.filter(siret=id_coll, poste__codique=id_post).exists()

    def budget_active(self, id_coll: str, cod_col: str, cod_bud: str) -> bool | None:
        if self._foreign(id_coll):
            return None
        return Budget.objects.filter(
            collectivite__siret=id_coll, cod_col=cod_col, cod_bud=cod_bud, actif=True
        ).exists()

    def nomfic_used(self, cod_col: str, nom_fic: str) -> bool | None:
        return (
            Flux.objects.filter(
                collectivite_id=self.flux.collectivite_id, nom_fic=nom_fic, budget__cod_col=cod_col
            )
            .exclude(pk=self.flux.pk)
            .exclude(statut__in=[StatutFlux.REFUSE, StatutFlux.ANNULE])
            .exists()
        )

    def bordereau_already_accepted(
        self,
        id_coll: str,
        cod_col: str,
        cod_bud: str,
        exercice: str,
        typ_bord: str,
        id_bord: str,
        domaine: str | None = None,
    ) -> bool | None:
        if self._foreign(id_coll):
            return None
        key = (id_coll, cod_col, cod_bud, exercice)
        accepted = self._accepted.get(key)
        if accepted is None:
            accepted = self._accepted[key] = set(
                AcceptedBordereau.objects.filter(
                    budget__collectivite__siret=id_coll,
                    budget__cod_col=cod_col,
                    budget__cod_bud=cod_bud,
                    exercice=exercice,
                )
                .exclude(flux_id=self.flux.pk)
                .values_list("typ_bord", "id_bord", "domaine")
            )
        if domaine:
            return (typ_bord, id_bord, domaine) in accepted
        return any(t == typ_bord and i == id_bord for t, i, _d in accepted)

    def pj_already_received(self, id_coll: str, id_unique: str) -> bool | None:
        if self._foreign(id_coll):
            return None
        return (
            ReceivedPj.objects.filter(collectivite__siret=id_coll, id_unique=id_unique)
            .exclude(flux_id=self.flux.pk)
            .exists()
        )
