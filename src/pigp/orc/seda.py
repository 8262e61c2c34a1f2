"""SEDA 2.2 transfers of archive units to the public archives service: the package (a zip
of `manifest.xml` and the content files, the manifest valid against the official schemas
before anything is kept), stored as a `Transfert`; then the `ArchiveTransferReply` that
marks it accepted or rejected.

One ArchiveUnit for the selection, one per pièce (with its AppraisalRule: the retention code,
1 January after the exercice, Destroy or Keep), one per document referring to its object.
Content read from the silo is re-digested while it is zipped: a copy that does not match
its SHA-512 stops the export (fail closed).
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from pigp.core import files, journal
from pigp.core.models import Collectivite, User
from pigp.formats import seda
from pigp.orc import access, retention, silo
from pigp.orc.models import (
    ArchiveDocument,
    ArchiveUnit,
    RegleConservation,
    ServiceArchives,
    StatutTransfert,
    Transfert,
)

MAX_PACKAGE = 20 * 1024 * 1024 * 1024
CHUNK = 1024 * 1024


class TransfertError(Exception):
    """A transfer or a reply that cannot be done (message in French, shown to the user)."""


@dataclass(frozen=True)
class Selection:
    """What to transfer: a bordereau, some pièces, or a whole exercice of the collectivité."""

    kind: str  # "bordereau" | "pieces" | "exercice"
    annee: int | None = None
    bordereau: str = ""
    domaine: str = ""
    pieces: tuple[int, ...] = ()

    def libelle(self) -> str:
        if self.kind == "bordereau":
            genre = "titres" if self.domaine == "recette" else "mandats"
            return f"Bordereau de {genre} n° {self.bordereau} — exercice {self.annee}"
        if self.kind == "exercice":
            return f"Exercice {self.annee}"
        return f"Sélection de {len(self.pieces)} pièce(s)"

    def units(self, collectivite: Collectivite) -> QuerySet[ArchiveUnit]:
        units = ArchiveUnit.objects.filter(collectivite=collectivite, eliminee_le__isnull=True)
        if self.kind == "bordereau":
            units = units.filter(annee=self.annee or 0, numero_bordereau=self.bordereau)
            if self.domaine:
                units = units.filter(domaine=self.domaine)
        elif self.kind == "exercice":
            units = units.filter(annee=self.annee or 0)
        else:
            units = units.filter(pk__in=self.pieces)
        return units.order_by("annee", "domaine", "numero_bordereau", "numero", "pk")


def archival_agency(collectivite: Collectivite) -> str:
    """The public archives service covering the collectivité's département (its name)."""
    for service in ServiceArchives.objects.order_by("nom"):
        if collectivite.departement in service.departement_codes():
            return service.nom
    return f"Archives départementales ({collectivite.departement or 'département inconnu'})"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")[:80] or "document"


def _montant(value: object) -> str:
    return f"{value} EUR"


def _piece_unit(
    unit: ArchiveUnit,
    documents: list[ArchiveDocument],
    known: dict[str, RegleConservation],
) -> seda.Unit:
    siret = unit.collectivite.siret
    kind = "Mandat" if unit.domaine == "depense" else "Titre"
    found = retention.retention(unit, known)
    rule = (found.code, found.debut, found.action_finale) if found is not None else None
    keywords = [
        seda.Keyword(f"SIRET de la collectivité {siret}"),
        seda.Keyword(f"Exercice {unit.annee}"),
        seda.Keyword(f"Budget {unit.budget.cod_col}-{unit.budget.cod_bud}"),
        seda.Keyword(f"Bordereau {unit.numero_bordereau}"),
        seda.Keyword(f"{kind} {unit.numero}"),
        seda.Keyword(f"Montant HT {_montant(unit.mt_ht)}"),
        seda.Keyword(f"TVA {_montant(unit.mt_tva)}"),
        seda.Keyword(f"Montant TTC {_montant(unit.mt_ttc)}"),
    ]
    if unit.tiers_nom:
        keywords.append(seda.Keyword(unit.tiers_nom, "corpname"))
    if unit.tiers_siret:
        keywords.append(seda.Keyword(f"SIRET du tiers {unit.tiers_siret}"))
    keywords += [seda.Keyword(f"Nature {n}") for n in unit.natures.split()]
    keywords += [seda.Keyword(f"Fonction {f}", "function") for f in unit.fonctions.split()]
    keywords += [seda.Keyword(f"Facture {f}") for f in unit.numeros_factures.split()]
    dates = [d for d in (unit.date_emission, unit.date_prise_en_charge, unit.date_paiement) if d]
    children = tuple(
        seda.Unit(
            id=f"AU-DOC-{doc.pk}",
            title=doc.nom or doc.get_role_display(),
            document_type=doc.get_role_display(),
            data_object_group=f"GOT-{doc.pk}",
        )
        for doc in documents
    )
    return seda.Unit(
        id=f"AU-PIECE-{unit.pk}",
        title=f"{kind} n° {unit.numero} — {unit.objet or 'sans objet'} — {unit.mt_ttc} EUR TTC",
        identifier=f"{siret}/{unit.budget.cod_bud}/{unit.annee}/{kind.upper()}/{unit.numero}",
        document_type="Mandat de dépense" if unit.domaine == "depense" else "Titre de recette",
        description=(
            f"Tiers : {unit.tiers_nom or '—'} ; bordereau {unit.numero_bordereau} ; "
            f"HT {unit.mt_ht} EUR, TVA {unit.mt_tva} EUR, TTC {unit.mt_ttc} EUR"
        ),
        keywords=tuple(keywords),
        start_date=min(dates) if dates else None,
        end_date=max(dates) if dates else None,
        appraisal_rule=rule,
        children=children,
    )


def _documents(units: Iterable[ArchiveUnit]) -> dict[int, list[ArchiveDocument]]:
    by_unit: dict[int, list[ArchiveDocument]] = {}
    for doc in (
        ArchiveDocument.objects.filter(unit__in=units, obj__eliminated_at__isnull=True)
        .select_related("obj")
        .order_by("unit_id", "pk")
    ):
        by_unit.setdefault(doc.unit_id, []).append(doc)
    return by_unit


def _zip_content(archive: zipfile.ZipFile, uri: str, doc: ArchiveDocument) -> None:
    digest = hashlib.sha512()
    with silo.open_object(doc.obj) as src, archive.open(uri, "w", force_zip64=True) as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != doc.obj.sha512:
        raise TransfertError(
            f"Le contenu de « {doc.nom} » ne correspond plus à son empreinte : transfert arrêté."
        )


def exporter(
    collectivite: Collectivite,
    user: User,
    selection: Selection,
    *,
    request: HttpRequest | None = None,
) -> Transfert:
    """Build, validate and keep the SEDA 2.2 package of a selection of the collectivité."""
    if not access.may_act(user, collectivite, access.ARCHIVER):
        raise PermissionDenied("Seul l'archiviste de la collectivité peut préparer un transfert.")
    units = list(selection.units(collectivite).select_related("collectivite", "budget"))
    if not units:
        raise TransfertError("Aucune pièce archivée ne correspond à cette sélection.")
    documents = _documents(units)
    known = retention.rules()
    now = timezone.now()
    identifiant = f"ORC-{collectivite.siret}-{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
    groups: dict[str, tuple[seda.DataObject, ...]] = {}
    uris: list[tuple[str, ArchiveDocument]] = []
    for docs in documents.values():
        for doc in docs:
            uri = f"content/{doc.pk}-{_safe(doc.nom)}"
            uris.append((uri, doc))
            groups[f"GOT-{doc.pk}"] = (
                seda.DataObject(
                    id=f"BDO-{doc.pk}",
                    uri=uri,
                    sha512=doc.obj.sha512,
                    size=doc.obj.size,
                    mime_type=doc.media_type or doc.obj.media_type,
                    filename=doc.nom or f"document-{doc.pk}",
                ),
            )
    root = seda.Unit(
        id="AU-SELECTION",
        title=f"{collectivite.nom} — {selection.libelle()}",
        description_level="File",
        identifier=f"{collectivite.siret}/{selection.kind}/{selection.annee or ''}/{selection.bordereau}",
        children=tuple(_piece_unit(u, documents.get(u.pk, []), known) for u in units),
    )
    manifest = seda.build_transfer(
        seda.Transfer(
            message_identifier=identifiant,
            date=now,
            archival_agency=archival_agency(collectivite),
            transferring_agency=collectivite.siret,
            originating_agency=collectivite.siret,
            units=(root,),
            groups=groups,
            comment=f"Transfert ORC : {collectivite.nom} — {selection.libelle()}",
        )
    )
    try:
        seda.validate(manifest)
    except seda.SedaError as exc:  # our own writer is wrong: never ship an invalid package
        raise TransfertError(f"Le manifeste produit n'est pas valide : {exc}") from exc
    with tempfile.TemporaryFile(dir=files.spool_dir()) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
            zf.writestr("manifest.xml", manifest)
            for uri, doc in uris:
                try:
                    _zip_content(zf, uri, doc)
                except silo.SiloError as exc:
                    raise TransfertError(f"« {doc.nom} » est illisible : {exc}") from exc
        tmp.seek(0)
        with files.spool(tmp, max_size=MAX_PACKAGE) as spooled:
            paquet = files.keep(spooled, media_type="application/zip")
    with transaction.atomic():
        transfert = Transfert.objects.create(
            collectivite=collectivite, identifiant=identifiant, cree_par=user, paquet=paquet
        )
        transfert.units.set(units)
        journal.record(
            "orc_transfert",
            actor=user,
            obj=transfert,
            collectivite=collectivite,
            request=request,
            details={
                "identifiant": identifiant,
                "selection": selection.libelle(),
                "unites": [u.pk for u in units],
                "documents": len(uris),
                "paquet_sha256": paquet.sha256,
            },
        )
    return transfert


def importer_reponse(
    transfert: Transfert, user: User, content: bytes, *, request: HttpRequest | None = None
) -> Transfert:
    """Mark a transfer accepted (ReplyCode OK) or rejected from its ArchiveTransferReply."""
    if not access.may_act(user, transfert.collectivite, access.ARCHIVER):
        raise PermissionDenied("Seul l'archiviste de la collectivité peut importer la réponse.")
    try:
        reply = seda.read_reply(content)
    except seda.SedaError as exc:
        raise TransfertError(str(exc)) from exc
    if reply.request_identifier != transfert.identifiant:
        raise TransfertError(
            f"Cette réponse concerne le message « {reply.request_identifier} », "
            f"pas ce transfert (« {transfert.identifiant} »)."
        )
    statut = StatutTransfert.ACCEPTE if reply.accepted else StatutTransfert.REJETE
    with transaction.atomic():
        locked = Transfert.objects.select_for_update().get(pk=transfert.pk)
        if locked.statut != StatutTransfert.ENVOYE:
            raise TransfertError("La réponse à ce transfert a déjà été importée.")
        reponse = {
            "identifiant": reply.message_identifier,
            "code": reply.reply_code,
            "date": reply.date,
            "commentaire": reply.comment,
            "importee_le": timezone.now().isoformat(),
        }
        Transfert.objects.filter(pk=locked.pk).update(statut=statut, reponse=reponse)
        locked.refresh_from_db()
        journal.record(
            "orc_transfert_reponse",
            actor=user,
            obj=locked,
            collectivite=locked.collectivite_id,
            request=request,
            details={"identifiant": locked.identifiant, "code": reply.reply_code, "statut": statut},
        )
    return locked
