from pigp.core.models.files import StoredFile
from pigp.core.models.habilitations import Application, Habilitation, Profil, StatutHabilitation
from pigp.core.models.journal import JournalEntry, JournalHead
from pigp.core.models.organisations import (
    Budget,
    Collectivite,
    Juridiction,
    NatureCollectivite,
    Nomenclature,
    PosteComptable,
)
from pigp.core.models.users import User

__all__ = [
    "Application",
    "Budget",
    "Collectivite",
    "Habilitation",
    "JournalEntry",
    "JournalHead",
    "Juridiction",
    "NatureCollectivite",
    "Nomenclature",
    "PosteComptable",
    "Profil",
    "StatutHabilitation",
    "StoredFile",
    "User",
]
