"""The plan de comptes shipped in `data/` (see data/ORIGIN.md): account labels and chapters."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

SOURCE = "plan de comptes M52 (version 2021)"

# The classes of the plan de comptes (the first digit of an account).
CLASSES = {
    "1": "Comptes de capitaux",
    "2": "Comptes d'immobilisations",
    "3": "Comptes de stocks et en-cours",
    "4": "Comptes de tiers",
    "5": "Comptes financiers",
    "6": "Comptes de charges",
    "7": "Comptes de produits",
    "8": "Comptes spéciaux",
}


@dataclass(frozen=True)
class Compte:
    numero: str
    libelle: str  # empty when the account is not in the plan
    chapitre: str  # the budgetary chapter, else the account's first two digits
    chapitre_libelle: str

    @property
    def classe(self) -> str:
        return self.numero[:1]


def _read(name: str) -> list[list[str]]:
    text = resources.files("pigp.extranet").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.reader(text.splitlines()[1:], delimiter=";"))


@cache
def _plan() -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    comptes = {
        numero: (libelle, chapitre) for numero, libelle, chapitre in _read("plan_comptes_m52.csv")
    }
    chapitres = dict(_read("chapitres_m52.csv"))
    return comptes, chapitres


def compte(numero: str) -> Compte:
    """The account `numero` with its label and chapter from the plan."""
    comptes, chapitres = _plan()
    libelle, chapitre = comptes.get(numero, ("", ""))
    if chapitre:
        return Compte(numero, libelle, chapitre, chapitres.get(chapitre, ""))
    deux = numero[:2]
    return Compte(numero, libelle, deux, comptes.get(deux, ("", ""))[0])
