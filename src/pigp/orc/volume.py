"""A volume of archived pièces for the search benchmark: N archive units with realistic
metadata and PJ texts (French words from a fixed vocabulary, seeded random), bulk-loaded
(PostgreSQL's COPY, else `bulk_create` in batches). No silo writes: search reads metadata and
text only. `manage.py orc_volume --pieces N`.

The units belong to `collectivites` collectivités « Volume ORC n » of a poste « 099001 »
(half in the Haute-Garonne, half in the Tarn), each with one budget and the exercices
2015 to 2024; they are made on the first run and reused by the next ones.
"""

from __future__ import annotations

import datetime
import io
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from pigp.core.models import Budget, Collectivite, PosteComptable
from pigp.orc.models import ArchiveUnit

YEARS = range(2015, 2025)
POSTE = "099001"

VOCABULARY = [
    "acquisition",
    "entretien",
    "fourniture",
    "fournitures",
    "travaux",
    "réfection",
    "réparation",
    "maintenance",
    "installation",
    "location",
    "prestation",
    "prestations",
    "service",
    "services",
    "étude",
    "études",
    "mission",
    "contrôle",
    "vérification",
    "nettoyage",
    "transport",
    "restauration",
    "repas",
    "cantine",
    "scolaire",
    "école",
    "écoles",
    "collège",
    "gymnase",
    "piscine",
    "stade",
    "médiathèque",
    "bibliothèque",
    "mairie",
    "salle",
    "polyvalente",
    "voirie",
    "chaussée",
    "trottoir",
    "éclairage",
    "public",
    "réseau",
    "assainissement",
    "eau",
    "potable",
    "station",
    "épuration",
    "déchets",
    "collecte",
    "ordures",
    "ménagères",
    "tri",
    "sélectif",
    "espaces",
    "verts",
    "tonte",
    "élagage",
    "arbres",
    "plantations",
    "cimetière",
    "église",
    "patrimoine",
    "chauffage",
    "climatisation",
    "électricité",
    "gaz",
    "carburant",
    "véhicule",
    "véhicules",
    "camion",
    "tracteur",
    "matériel",
    "informatique",
    "logiciel",
    "licence",
    "téléphonie",
    "internet",
    "photocopieur",
    "papier",
    "ramettes",
    "mobilier",
    "bureau",
    "chaises",
    "tables",
    "formation",
    "agents",
    "personnel",
    "assurance",
    "responsabilité",
    "civile",
    "honoraires",
    "avocat",
    "notaire",
    "géomètre",
    "architecte",
    "maîtrise",
    "oeuvre",
    "marché",
    "public",
    "avenant",
    "lot",
    "consultation",
    "devis",
    "facture",
    "factures",
    "bon",
    "commande",
    "livraison",
    "réception",
    "procès-verbal",
    "attestation",
    "certificat",
    "subvention",
    "association",
    "culturelle",
    "sportive",
    "festival",
    "concert",
    "exposition",
    "cérémonie",
    "fêtes",
    "illuminations",
    "signalisation",
    "panneaux",
    "peinture",
    "routière",
    "sel",
    "déneigement",
    "inondation",
    "sécurité",
    "incendie",
    "extincteurs",
    "alarme",
    "vidéoprotection",
    "loyer",
    "logement",
    "communal",
    "bail",
    "charges",
    "locatives",
    "taxe",
    "foncière",
    "redevance",
    "occupation",
    "domaine",
    "restauration",
    "scolaire",
    "garderie",
    "périscolaire",
    "accueil",
    "loisirs",
    "crèche",
    "petite",
    "enfance",
]
PREFIXES = ["Entreprise", "Société", "Établissements", "SARL", "SAS", "Garage", "Cabinet",
            "Atelier", "Transports", "Papeterie", "Boulangerie", "Pépinières", "Bureau"]  # fmt: skip
NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
         "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
         "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier",
         "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier",
         "Faure", "Rousseau", "Blanc", "Guerin", "Muller", "Henry", "Roussel", "Nicolas",
         "Perrin", "Morin", "Mathieu", "Clement", "Gauthier", "Dumont", "Lopez", "Fontaine",
         "Chevalier", "Robin", "Masson", "Sanchez", "Gerard", "Nguyen", "Boyer", "Denis"]  # fmt: skip
PLACES = ["du Midi", "d'Occitanie", "du Lauragais", "du Tarn", "de la Garonne", "Toulousains",
          "du Sud-Ouest", "Albigeois", "de Muret", "des Pyrénées", "du Touch", "Associés"]  # fmt: skip
NATURES = ["6042", "6061", "6063", "6064", "6068", "611", "6135", "61521", "61558", "6156",
           "6182", "6188", "6231", "6236", "6251", "6262", "627", "6281", "2183", "2184",
           "2313", "2315", "752", "7588", "7067", "70632", "7473"]  # fmt: skip
FONCTIONS = ["020", "021", "112", "211", "212", "213", "251", "311", "321", "411", "412",
             "421", "511", "61", "71", "811", "812", "813", "814", "822", "823", "833"]  # fmt: skip

COLUMNS = [
    "collectivite_id", "budget_id", "exercice_id", "annee", "domaine", "numero_bordereau",
    "numero", "objet", "tiers_nom", "tiers_siret", "mt_ht", "mt_tva", "mt_ttc", "natures",
    "fonctions", "numeros_factures", "etat", "date_emission", "date_prise_en_charge",
    "date_paiement", "metadata", "texte", "statut", "archivee_le", "mise_a_jour_le",
    "couverte", "gel", "gel_motif",
]  # fmt: skip


@dataclass(frozen=True)
class Home:
    """Where a unit goes: its collectivité, budget and exercice of each year."""

    collectivite_id: int
    budget_id: int
    exercices: dict[int, int]  # year → exercice id


def homes(count: int) -> list[Home]:
    """The volume's collectivités, their budget and exercices (made when missing)."""
    from pigp.helios.models import Exercice

    poste, _ = PosteComptable.objects.get_or_create(
        codique=POSTE, defaults={"nom": "SGC de volume"}
    )
    made = []
    for n in range(count):
        siret = f"99{n:012d}"
        coll, _ = Collectivite.objects.get_or_create(
            siret=siret,
            defaults={
                "nom": f"Volume ORC {n:03d}",
                "nature": "commune",
                "poste": poste,
                "departement": "31" if n % 2 == 0 else "81",
            },
        )
        budget, _ = Budget.objects.get_or_create(
            collectivite=coll,
            cod_col=f"{n % 1000:03d}",
            cod_bud="00",
            defaults={"libelle": "Budget principal"},
        )
        exercices = {
            year: Exercice.objects.get_or_create(budget=budget, annee=year)[0].pk for year in YEARS
        }
        made.append(Home(coll.pk, budget.pk, exercices))
    return made


def _tiers(rng: random.Random, count: int = 3000) -> list[tuple[str, str]]:
    found = []
    for _ in range(count):
        if rng.random() < 0.15:
            name = f"{rng.choice(NAMES)} {rng.choice(NAMES)}"  # a person
            siret = ""
        else:
            name = f"{rng.choice(PREFIXES)} {rng.choice(NAMES)} {rng.choice(PLACES)}"
            siret = f"{rng.randrange(10**13, 10**14)}"
        found.append((name, siret))
    return found


def rows(pieces: int, places: list[Home], seed: int = 13) -> Iterator[dict[str, Any]]:
    """The `pieces` units' values, deterministic for a seed."""
    rng = random.Random(seed)  # noqa: S311 - seeded fictitious data
    tiers = _tiers(rng)
    now = timezone.now()
    counters: dict[tuple[int, int, str], int] = {}
    for _ in range(pieces):
        home = rng.choice(places)
        year = rng.choice(YEARS)
        domaine = "depense" if rng.random() < 0.85 else "recette"
        key = (home.collectivite_id, year, domaine)
        counters[key] = number = counters.get(key, 0) + 1
        name, siret = rng.choice(tiers)
        words = rng.sample(VOCABULARY, 4)
        objet = " ".join(words).capitalize()
        pj_text = " ".join(rng.choices(VOCABULARY, k=rng.randint(30, 120)))
        ttc = Decimal(round(rng.lognormvariate(6.5, 1.6), 2)).quantize(Decimal("0.01"))
        ht = (ttc / Decimal("1.2")).quantize(Decimal("0.01"))
        emission = datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randrange(350))
        prise = emission + datetime.timedelta(days=rng.randint(1, 10))
        paye = prise + datetime.timedelta(days=rng.randint(1, 25)) if domaine == "depense" else None
        natures = " ".join(rng.sample(NATURES, rng.choice((1, 1, 1, 2))))
        factures = f"FA-{year}-{rng.randrange(1, 99999):05d}" if domaine == "depense" else ""
        yield {
            "collectivite_id": home.collectivite_id,
            "budget_id": home.budget_id,
            "exercice_id": home.exercices[year],
            "annee": year,
            "domaine": domaine,
            "numero_bordereau": str(1 + number // 40),
            "numero": str(number),
            "objet": objet,
            "tiers_nom": name,
            "tiers_siret": siret,
            "mt_ht": ht,
            "mt_tva": ttc - ht,
            "mt_ttc": ttc,
            "natures": natures,
            "fonctions": rng.choice(FONCTIONS),
            "numeros_factures": factures,
            "etat": "payee" if domaine == "depense" else "prise_en_charge",
            "date_emission": emission,
            "date_prise_en_charge": prise,
            "date_paiement": paye,
            "metadata": {},
            "texte": f"{objet} {name} {factures} {pj_text}",
            "statut": "close" if year < 2024 else "ouverte",
            "archivee_le": now,
            "mise_a_jour_le": now,
            "couverte": False,
            "gel": False,
            "gel_motif": "",
        }


def generate(
    pieces: int,
    *,
    collectivites: int = 40,
    seed: int = 13,
    batch: int = 20_000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Add `pieces` archive units; returns how many were written."""
    places = homes(collectivites)
    written = 0
    chunk: list[dict[str, Any]] = []
    for row in rows(pieces, places, seed):
        chunk.append(row)
        if len(chunk) >= batch:
            written += _write(chunk)
            chunk = []
            if progress:
                progress(written)
    if chunk:
        written += _write(chunk)
        if progress:
            progress(written)
    return written


def _write(chunk: list[dict[str, Any]]) -> int:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _copy(chunk)
        else:
            ArchiveUnit.objects.bulk_create([ArchiveUnit(**row) for row in chunk], batch_size=2000)
    return len(chunk)


def _copy(chunk: list[dict[str, Any]]) -> None:
    """COPY the rows (psycopg 3) into orc_archiveunit."""
    buffer = io.StringIO()
    for row in chunk:
        buffer.write("\t".join(_copy_value(row[c]) for c in COLUMNS))
        buffer.write("\n")
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor
        with raw.copy(f"COPY orc_archiveunit ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())


def _copy_value(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict):
        value = json.dumps(value)
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
