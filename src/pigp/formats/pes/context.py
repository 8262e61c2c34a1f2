"""What the validator may ask the platform about its state.

The library knows nothing of databases: checks that need the platform's knowledge (is this
poste known, was this bordereau already accepted, was this PJ already received…) go
through a :class:`PlatformContext`. Every method answers ``True``/``False`` when the
platform knows, and ``None`` when it does not, in which case no finding is produced.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class PlatformContext(Protocol):
    def known_poste(self, id_post: str) -> bool | None:
        """Does this codique (IdPost) exist?"""
        ...

    def collectivite_siret_matches(self, id_post: str, id_coll: str) -> bool | None:
        """Is ``id_coll`` the SIRET of a collectivité attached to the poste ``id_post``?"""
        ...

    def budget_active(self, id_coll: str, cod_col: str, cod_bud: str) -> bool | None:
        """Do CodCol/CodBud exist and are they active for this collectivité?"""
        ...

    def nomfic_used(self, cod_col: str, nom_fic: str) -> bool | None:
        """Was a flow with this NomFic already received for this CodCol?"""
        ...

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
        """Was this bordereau (domaine, exercice, type, number, budget) already taken in?

        Dépense and recette bordereaux are numbered separately and share TypBord codes, so
        ``domaine`` ("depense" / "recette") is part of the key.
        """
        ...

    def pj_already_received(self, id_coll: str, id_unique: str) -> bool | None:
        """Was a PJ with this IdUnique already received from this collectivité?"""
        ...


class NullContext:
    """A platform that knows nothing: every answer is "don't know"."""

    def known_poste(self, id_post: str) -> bool | None:
        return None

    def collectivite_siret_matches(self, id_post: str, id_coll: str) -> bool | None:
        return None

    def budget_active(self, id_coll: str, cod_col: str, cod_bud: str) -> bool | None:
        return None

    def nomfic_used(self, cod_col: str, nom_fic: str) -> bool | None:
        return None

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
        return None

    def pj_already_received(self, id_coll: str, id_unique: str) -> bool | None:
        return None
