"""Re-check a proof report (« relevé de valeur probante ») without the platform's database:
every journal entry's hash recomputed, the links between consecutive entries, each seal's
Ed25519 signature (with the key given, or the one embedded, with a warning), its RFC 3161
token when there is one, each entry covered by a consistent seal, the digests well-formed
and the copies' recomputed digests consistent with them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import canonical, tsp

FORMAT = "pigp-orc-releve-de-valeur-probante"
SUPPORTED_VERSIONS = (1,)
NOT_SEALED = "pas encore scellée"
SHA512_HEX = re.compile(r"[0-9a-f]{128}")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class ProofUnreadable(ValueError):
    """Not a proof report this checker reads (French message)."""


@dataclass
class CheckResult:
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    entries: int = 0
    seals: int = 0
    documents: int = 0

    @property
    def valid(self) -> bool:
        return not self.reasons


def load(data: bytes) -> dict[str, Any]:
    try:
        report = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProofUnreadable(f"le fichier n'est pas un JSON lisible : {exc}") from exc
    if not isinstance(report, dict) or report.get("format") != FORMAT:
        raise ProofUnreadable("le fichier n'est pas un relevé de valeur probante de pigp")
    if report.get("version") not in SUPPORTED_VERSIONS:
        raise ProofUnreadable(f"version de relevé non prise en charge : {report.get('version')}")
    return report


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise ProofUnreadable(f"clé publique illisible : {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ProofUnreadable("la clé publique n'est pas une clé Ed25519")
    return key


def key_id_of(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return canonical.key_id(raw)


def _key(report: dict[str, Any], given: bytes | None, result: CheckResult) -> Ed25519PublicKey:
    platform = report.get("plateforme") or {}
    embedded_pem = platform.get("cle_publique")
    embedded = load_public_key(embedded_pem.encode("ascii")) if embedded_pem else None
    if embedded is not None and key_id_of(embedded) != platform.get("cle_id"):
        result.reasons.append("l'identifiant de clé du relevé ne correspond pas à sa clé publique")
    if given is not None:
        key = load_public_key(given)
        if embedded is not None and key_id_of(embedded) != key_id_of(key):
            result.reasons.append(
                "la clé publique du relevé n'est pas celle fournie : le relevé n'a pas été "
                "établi par la plateforme dont vous détenez la clé"
            )
        return key
    if embedded is None:
        raise ProofUnreadable("aucune clé publique : ni fournie (--key), ni dans le relevé")
    result.warnings.append(
        "signatures vérifiées avec la clé publique contenue dans le relevé lui-même : "
        f"comparez son identifiant ({key_id_of(embedded)}) à celui publié par la plateforme, "
        "ou donnez la clé avec --key"
    )
    return embedded


def _documents(report: dict[str, Any], result: CheckResult) -> None:
    for doc in report["documents"]:
        result.documents += 1
        name = f"« {doc['nom']} »"
        digest = doc["sha512"]
        if not isinstance(digest, str) or not SHA512_HEX.fullmatch(digest):
            result.reasons.append(f"l'empreinte SHA-512 du document {name} est mal formée")
            continue
        if not isinstance(doc["taille"], int) or doc["taille"] < 0:
            result.reasons.append(f"la taille du document {name} est invalide")
        sound = 0
        for copy in doc["copies"]:
            seen = copy["empreinte_recalculee"]
            if seen is not None and not SHA512_HEX.fullmatch(str(seen)):
                result.reasons.append(f"une empreinte recalculée du document {name} est mal formée")
            if bool(copy["conforme"]) != (seen == digest):
                result.reasons.append(
                    f"la copie « {copy['stockage']} » du document {name} est déclarée "
                    f"{'conforme' if copy['conforme'] else 'non conforme'} à tort"
                )
            sound += seen == digest
        if sound == 0:
            result.reasons.append(f"aucune copie du document {name} n'a été trouvée conforme")


def _seals(
    report: dict[str, Any], key: Ed25519PublicKey, result: CheckResult
) -> dict[int, dict[str, Any]]:
    wanted = key_id_of(key)
    valid: dict[int, dict[str, Any]] = {}
    for seal in report["scellements"]:
        result.seals += 1
        label = f"scellement n° {seal['id']}"
        fields = seal["charge_utile"]
        try:
            payload = canonical.seal_payload(fields)
        except ValueError as exc:
            result.reasons.append(f"{label} : {exc}")
            continue
        if "charge_utile_canonique" in seal and seal["charge_utile_canonique"].encode() != payload:
            result.reasons.append(f"{label} : charge utile canonique incohérente")
        if fields["key_id"] != wanted:
            result.reasons.append(f"{label} : signé par une autre clé ({fields['key_id']})")
            continue
        if not SHA256_HEX.fullmatch(str(fields["head_hash"])):
            result.reasons.append(f"{label} : empreinte de tête mal formée")
        try:
            key.verify(base64.b64decode(seal["signature"], validate=True), payload)
        except (InvalidSignature, binascii.Error, ValueError):
            result.reasons.append(f"{label} : signature invalide")
            continue
        stamp = seal.get("horodatage")
        if stamp and stamp.get("jeton"):
            try:
                token = base64.b64decode(stamp["jeton"], validate=True)
                tsp.check_token(token, hashlib.sha512(payload).digest())
            except (binascii.Error, ValueError) as exc:
                result.reasons.append(f"{label} : horodatage refusé ({exc})")
                continue
        valid[int(seal["id"])] = fields
    return valid


def _journal(
    report: dict[str, Any], sealed: dict[int, dict[str, Any]], result: CheckResult
) -> None:
    previous: dict[str, Any] | None = None
    for entry in report["journal"]:
        result.entries += 1
        label = f"entrée n° {entry['id']} du journal"
        content = entry["contenu"]
        if canonical.entry_hash(entry["empreinte_precedente"], content) != entry["empreinte"]:
            result.reasons.append(f"{label} : son empreinte ne correspond pas à son contenu")
        if content.get("action") != entry.get("action", content.get("action")):
            result.reasons.append(f"{label} : action incohérente avec le contenu haché")
        if previous is not None:
            if entry["id"] <= previous["id"]:
                result.reasons.append(f"{label} : entrées dans le désordre")
            elif (
                entry["id"] == previous["id"] + 1
                and entry["empreinte_precedente"] != previous["empreinte"]
            ):
                result.reasons.append(f"{label} : chaînage rompu avec l'entrée précédente")
        previous = entry
        seal_id = entry["scellement"]
        if seal_id == NOT_SEALED or seal_id is None:
            result.warnings.append(f"{label} : pas encore scellée")
            continue
        fields = sealed.get(int(seal_id))
        if fields is None:
            result.reasons.append(f"{label} : son scellement n° {seal_id} est absent ou invalide")
            continue
        if fields["last_entry_id"] < entry["id"]:
            result.reasons.append(f"{label} : le scellement n° {seal_id} ne la couvre pas")
        elif fields["last_entry_id"] == entry["id"] and fields["head_hash"] != entry["empreinte"]:
            result.reasons.append(
                f"{label} : le scellement n° {seal_id} scelle une autre empreinte de tête"
            )


def check(report: dict[str, Any], public_key_pem: bytes | None = None) -> CheckResult:
    """Every check of a loaded report; `ProofUnreadable` when it cannot be checked at all."""
    result = CheckResult()
    try:
        key = _key(report, public_key_pem, result)
        _documents(report, result)
        sealed = _seals(report, key, result)
        _journal(report, sealed, result)
        verdict = report["verdict"]
    except (KeyError, TypeError, AttributeError) as exc:
        result.reasons.append(f"relevé incomplet ou mal formé ({type(exc).__name__} : {exc})")
        return result
    if not verdict.get("probante"):
        motifs = "; ".join(verdict.get("motifs") or []) or "sans motif"
        result.reasons.append(f"le relevé lui-même conclut « non probante » : {motifs}")
    return result
