"""Classify a received file from its root element, and read the few header values intake needs.

Only the beginning of the file is parsed (the root, then the PES header), with the same
XML safety as the libraries: no DTD loading, no entity expansion, no network.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from lxml import etree

from pigp.passerelle.models import Direction, KindFlux

PES_NS = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/"
ROOTS: dict[tuple[str, str], KindFlux] = {
    ("PES_Aller", PES_NS + "aller"): KindFlux.PES_ALLER,
    ("PES_Retour", PES_NS + "retour"): KindFlux.PES_RETOUR,
    ("PES_ACQUIT", PES_NS + "retour"): KindFlux.PES_ACQUIT,
    ("PES_ACQUIT", PES_NS + "retour/v2"): KindFlux.PES_ACQUIT,
    ("PES_ACQUIT_RETOUR", PES_NS + "aller/ack"): KindFlux.PES_ACQUIT_RETOUR,
}
SEPA_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"
SEPA_ROOT_CHILD = {"pain.001": KindFlux.PAIN_001, "pain.008": KindFlux.PAIN_008}
HEADER_TAGS = {"IdPost", "IdColl", "CodCol", "CodBud", "NomFic", "LibelleColBud"}
# Header sniffing stops at the first bordereau or PJ: the header comes before them.
STOP_TAGS = {"Bordereau", "PES_PJ", "PES_DepenseRetour", "PES_RecetteRetour", "ElementACQUIT"}


@dataclass(frozen=True)
class Detected:
    kind: KindFlux
    root: str | None = None
    namespace: str | None = None
    header: dict[str, str] | None = None
    reason: str = ""  # why the file could not be classified, in French

    @property
    def direction(self) -> Direction:
        return Direction.ALLER


def _parser_events(fh: IO[bytes]) -> Iterator[tuple[str, etree._Element]]:
    return etree.iterparse(
        fh,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def detect(path: Path, *, max_events: int = 5000) -> Detected:
    try:
        with path.open("rb") as fh:
            return _detect(fh, max_events)
    except (OSError, ValueError) as exc:
        return Detected(KindFlux.INCONNU, reason=f"Fichier illisible ({exc}).")


def _detect(fh: IO[bytes], max_events: int) -> Detected:
    root_tag = None
    namespace = None
    kind = None
    header: dict[str, str] = {}
    try:
        for count, (event, el) in enumerate(_parser_events(fh)):
            if count > max_events:
                break
            qname = etree.QName(el)
            if root_tag is None:
                root_tag, namespace = qname.localname, qname.namespace or ""
                kind = ROOTS.get((root_tag, namespace))
                if kind is None and namespace.startswith(SEPA_PREFIX):
                    message = namespace[len(SEPA_PREFIX) :]
                    kind = SEPA_ROOT_CHILD.get(message[:8])
                if kind is None:
                    break
                if kind in (KindFlux.PAIN_001, KindFlux.PAIN_008):
                    header["version"] = namespace[len(SEPA_PREFIX) :]
                    break
                continue
            if event == "start" and qname.localname in STOP_TAGS:
                break
            if event == "end" and qname.localname in HEADER_TAGS and el.get("V") is not None:
                header.setdefault(qname.localname, el.get("V"))
    except etree.XMLSyntaxError as exc:
        if root_tag is None:
            return Detected(
                KindFlux.INCONNU,
                reason=f"Le fichier n'est pas un document XML lisible ({_short(exc)}).",
            )
    if kind is None:
        if root_tag is None:
            return Detected(KindFlux.INCONNU, reason="Le fichier est vide ou n'est pas du XML.")
        where = f" (espace de noms « {namespace} »)" if namespace else " (sans espace de noms)"
        return Detected(
            KindFlux.INCONNU,
            root=root_tag,
            namespace=namespace,
            reason=(
                f"Fichier non reconnu : l'élément racine « {root_tag} »{where} n'est ni un message "
                "PES V2 (PES_Aller, PES_ACQUIT_RETOUR…) ni un fichier SEPA (pain.001, pain.008)."
            ),
        )
    return Detected(kind, root=root_tag, namespace=namespace, header=header)


def _short(exc: Exception) -> str:
    # lxml's message may name the stored file (an internal digest path): keep only the reason.
    text = getattr(exc, "msg", None) or str(exc)
    text = text.split(" (", 1)[0] if "/sha256/" in text or "/spool/" in text else text
    return text if len(text) < 160 else text[:157] + "…"
