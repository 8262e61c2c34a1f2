"""The proof report of an archive unit (« relevé de valeur probante »).

`build(unit)` gathers what makes the archive trustworthy, checked NOW: each document's
SHA-512 recomputed on every copy, the journal entries that concern the unit with their full
hashed content, the seal covering each entry with its signed payload and signature, the
platform's public key, and a verdict. The same dict is shown as a page, downloaded as JSON
and as PDF; the JSON is self-contained: `pigp orc check-proof FILE` re-checks it without
the database (`pigp.formats.orcproof.check`).

The entries concerning a unit are those whose object is the unit or one of its documents,
those whose details name it (`"unite": <pk>`) and those that list it (`"unites"`: ids, or
dicts with an "id", as eliminations and SEDA transfers journal them).
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from pigp.core.models.journal import JournalEntry
from pigp.formats.orcproof import tsp
from pigp.orc import seals, silo
from pigp.orc.models import ArchiveUnit, ObjectCopy, Seal

FORMAT = "pigp-orc-releve-de-valeur-probante"
VERSION = 1
NOT_SEALED = "pas encore scellée"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _unit(unit: ArchiveUnit) -> dict[str, Any]:
    return {
        "id": unit.pk,
        "nature": "mandat" if unit.domaine == "depense" else "titre",
        "collectivite": {
            "id": unit.collectivite_id,
            "nom": unit.collectivite.nom,
            "siret": getattr(unit.collectivite, "siret", ""),
        },
        "budget": str(unit.budget),
        "exercice": unit.annee,
        "numero_bordereau": unit.numero_bordereau,
        "numero": unit.numero,
        "objet": unit.objet,
        "tiers": {"nom": unit.tiers_nom, "siret": unit.tiers_siret},
        "montants": {
            "ht": _amount(unit.mt_ht),
            "tva": _amount(unit.mt_tva),
            "ttc": _amount(unit.mt_ttc),
        },
        "natures": unit.natures.split(),
        "fonctions": unit.fonctions.split(),
        "numeros_factures": unit.numeros_factures,
        "etat": unit.etat,
        "date_emission": _iso(unit.date_emission),
        "date_prise_en_charge": _iso(unit.date_prise_en_charge),
        "date_paiement": _iso(unit.date_paiement),
        "statut": unit.statut,
        "archivee_le": _iso(unit.archivee_le),
        "scellee_le": _iso(unit.scellee_le),
        "couverte_par_adhesion": unit.couverte,
        "fin_dua": _iso(unit.dua_fin),
        "gel": unit.gel,
        "eliminee_le": _iso(unit.eliminee_le),
    }


def _documents(unit: ArchiveUnit, problems: list[str], reserves: list[str]) -> list[dict[str, Any]]:
    documents = list(unit.documents.select_related("obj").order_by("pk"))
    recorded = {
        (copy.obj_id, copy.storage): copy.etat
        for copy in ObjectCopy.objects.filter(obj_id__in=[d.obj_id for d in documents])
    }
    out = []
    for doc in documents:
        obj = doc.obj
        copies = []
        for name in silo.copies():
            live = obj.eliminated_at is None
            seen = silo.digest_of(name, obj.sha512) if live else None
            copies.append(
                {
                    "stockage": name,
                    "etat_enregistre": recorded.get((obj.pk, name), ""),
                    "verifiee_le": timezone.now().isoformat(),
                    "empreinte_recalculee": seen,
                    "conforme": seen == obj.sha512,
                }
            )
        sound = sum(1 for copy in copies if copy["conforme"])
        label = f"« {doc.nom} »"
        if obj.eliminated_at is not None:
            problems.append(f"le document {label} a été éliminé le {obj.eliminated_at:%d/%m/%Y}")
        elif sound == 0:
            problems.append(f"aucune copie du document {label} ne correspond à son empreinte")
        elif sound < len(copies):
            reserves.append(
                f"{len(copies) - sound} copie(s) du document {label} à réparer "
                f"(une copie saine au moins)"
            )
        out.append(
            {
                "id": doc.pk,
                "nom": doc.nom,
                "role": doc.role,
                "role_libelle": doc.get_role_display(),
                "type_de_media": doc.media_type or obj.media_type,
                "sha512": obj.sha512,
                "taille": obj.size,
                "recu_le": _iso(doc.recu_le),
                "archive_le": _iso(doc.archive_le),
                "numerisation": doc.numerisation or None,
                "copies": copies,
                "copies_conformes": sound,
            }
        )
    return out


def _names(unites: Any, pk: int) -> bool:
    """Does a `details["unites"]` list (ids, or dicts with an "id") name unit `pk`?"""
    if not isinstance(unites, list):
        return False
    return any((u.get("id") if isinstance(u, dict) else u) == pk for u in unites)


def entries_for(unit: ArchiveUnit) -> list[JournalEntry]:
    """The entries whose object is the unit or one of its documents, whose details name it
    (`"unite": pk`), or that list it among several (`"unites": [pk, …]` or `[{"id": pk…}]`,
    as eliminations and SEDA transfers do: read within the unit's collectivité only)."""
    documents = [str(pk) for pk in unit.documents.values_list("pk", flat=True)]
    concerning = (
        Q(object_type="orc.archiveunit", object_id=str(unit.pk))
        | Q(object_type="orc.archivedocument", object_id__in=documents)
        | Q(details__unite=unit.pk)
    )
    direct = list(JournalEntry.objects.filter(concerning).order_by("id"))
    seen = {entry.pk for entry in direct}
    listing = JournalEntry.objects.filter(
        collectivite_id=unit.collectivite_id, details__has_key="unites"
    ).exclude(pk__in=seen)
    named = [entry for entry in listing if _names(entry.details.get("unites"), unit.pk)]
    return sorted(direct + named, key=lambda entry: entry.pk)


def _seal_check(seal: Seal, key: Any, heads: dict[int, str]) -> str:
    """Signature, head hash against the journal, stamp. The entry count up to the seal is
    left to `orc_verify` (a count per seal would make the page's cost grow with them)."""
    problem = seals.check_signature(seal, key)
    if not problem and heads.get(seal.last_entry_id) != seal.head_hash:
        problem = f"l'empreinte de tête ne correspond pas à l'entrée {seal.last_entry_id}"
    return problem or seals.check_stamp(seal)


def _seal_dict(seal: Seal, key: Any, heads: dict[int, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": seal.pk,
        "charge_utile": seals.fields_of(seal),
        "charge_utile_canonique": seals.payload_of(seal).decode("utf-8"),
        "signature": seal.signature,
        "verification": _seal_check(seal, key, heads) or "valide",
    }
    if seal.tsa_token:
        token = bytes(seal.tsa_token)
        horodatage: dict[str, Any] = {
            "autorite": seal.tsa_url,
            "jeton": base64.b64encode(token).decode("ascii"),
        }
        try:
            info = tsp.check_token(token, hashlib.sha512(seals.payload_of(seal)).digest())
            horodatage["heure"] = tsp.gen_time_iso(info)
        except tsp.TspError as exc:
            horodatage["erreur"] = str(exc)
        data["horodatage"] = horodatage
    return data


def build(unit: ArchiveUnit) -> dict[str, Any]:
    """The proof report of `unit`, everything checked now."""
    problems: list[str] = []
    reserves: list[str] = []
    documents = _documents(unit, problems, reserves)
    if not documents:
        problems.append("l'unité d'archive ne contient aucun document")
    entries = entries_for(unit)
    key = seals.public_key()
    covering = list(
        Seal.objects.filter(last_entry_id__gte=entries[0].pk if entries else 0).order_by(
            "last_entry_id", "at", "pk"
        )
        if entries
        else []
    )
    bounds = [seal.last_entry_id for seal in covering]
    used: dict[int, Seal] = {}
    journal = []
    unsealed = 0
    for entry in entries:
        if entry.compute_hash() != entry.entry_hash:
            problems.append(f"l'entrée n° {entry.pk} du journal a été modifiée")
        at = bisect.bisect_left(bounds, entry.pk)
        seal = covering[at] if at < len(covering) else None
        if seal is None:
            unsealed += 1
        else:
            used[seal.pk] = seal
        journal.append(
            {
                "id": entry.pk,
                "action": entry.action,
                "contenu": entry.content(),
                "empreinte_precedente": entry.previous_hash,
                "empreinte": entry.entry_hash,
                "scellement": seal.pk if seal is not None else NOT_SEALED,
            }
        )
    heads = dict(
        JournalEntry.objects.filter(pk__in=[s.last_entry_id for s in used.values()]).values_list(
            "pk", "entry_hash"
        )
    )
    sealed = [_seal_dict(seal, key, heads) for seal in sorted(used.values(), key=lambda s: s.pk)]
    for checked in sealed:
        if checked["verification"] != "valide":
            problems.append(f"scellement n° {checked['id']} : {checked['verification']}")
        if "erreur" in checked.get("horodatage", {}):
            problems.append(f"scellement n° {checked['id']} : {checked['horodatage']['erreur']}")
    if not any(entry["scellement"] != NOT_SEALED for entry in journal):
        reserves.append("aucune entrée du journal concernant cette pièce n'est encore scellée")
    elif unsealed:
        reserves.append(f"{unsealed} entrée(s) récente(s) du journal pas encore scellée(s)")
    public = seals.public_key_pem()
    return {
        "format": FORMAT,
        "version": VERSION,
        "etabli_le": timezone.now().isoformat(),
        "plateforme": {
            "cle_publique": public,
            "cle_id": seals.key_id_of(key),
            "algorithme": "Ed25519",
        },
        "unite": _unit(unit),
        "documents": documents,
        "journal": journal,
        "scellements": sealed,
        "verdict": {
            "probante": not problems,
            "libelle": "probante" if not problems else "non probante",
            "motifs": problems,
            "reserves": reserves,
        },
    }


def to_json(report: dict[str, Any]) -> bytes:
    """The downloaded JSON (indented, keys sorted, UTF-8)."""
    return json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
