"""Accepted bordereaux become ledger rows: streamed from the stored flow, written in bulk.

Idempotent: a flow already integrated is skipped, and a re-run writes only the bordereaux
and PJ not yet written, so receiving `flux_accepted` twice (or a retried task) changes
nothing. PJ are decoded once, streamed to the content-addressed store.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from django.db import transaction

from pigp.core import files, journal
from pigp.core.models import Budget
from pigp.formats.pes import read_pes_aller
from pigp.formats.pes import records as r
from pigp.helios import versions
from pigp.helios.models import (
    Bordereau,
    Domaine,
    EtatPiece,
    Exercice,
    FacturePiece,
    Ligne,
    Piece,
    PieceEvent,
    PieceJustificative,
    PjRef,
    Tiers,
)
from pigp.helios.signals import pieces_received
from pigp.passerelle import integration
from pigp.passerelle.models import Flux

BATCH = 2000
TRANSFER_MODES = {"03", "04", "05", "06", "11"}


@dataclass
class IngestResult:
    bordereaux: int = 0
    pieces: int = 0
    lignes: int = 0
    pjs: int = 0
    skipped: bool = False


def _date(value: str | None) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _tiers_key(t: r.Tiers) -> str:
    if t.id_tiers:
        return f"{t.nat_id_tiers or ''}:{t.id_tiers}"[:120]
    iban = t.compte.iban if t.compte else ""
    adr1 = (t.adresse.adr1 or "") if t.adresse else ""
    ident = "|".join([t.nom or "", t.prenom or "", adr1, iban or ""])
    return "h:" + hashlib.sha1(ident.encode(), usedforsecurity=False).hexdigest()


def _tiers_row(collectivite_id: int, key: str, t: r.Tiers) -> Tiers:
    adresse = t.adresse
    compte = t.compte
    return Tiers(
        collectivite_id=collectivite_id,
        cle=key,
        id_tiers=(t.id_tiers or "")[:40],
        nat_id_tiers=(t.nat_id_tiers or "")[:2],
        categorie=(t.cat_tiers or "")[:2],
        nature_juridique=(t.nat_jur or "")[:2],
        civilite=(t.civilite or "")[:32],
        nom=(t.nom or "(sans nom)")[:200],
        prenom=(t.prenom or "")[:100],
        adresse=" ".join(x for x in [adresse.adr1, adresse.adr2, adresse.adr3] if x)[:300]
        if adresse
        else "",
        code_postal=(adresse.cp or "")[:10] if adresse else "",
        ville=(adresse.ville or "")[:100] if adresse else "",
        iban=(compte.iban or "")[:34] if compte else "",
        bic=(compte.bic or "")[:11] if compte else "",
        titulaire=(compte.tit_cpte or "")[:200] if compte else "",
    )


class _PjSink:
    """Decoded PJ go to spool files; each is moved into the store once its digest is known."""

    def __init__(self) -> None:
        self.paths: dict[int, Path] = {}
        self.handles: dict[int, BinaryIO] = {}

    def __call__(self, index: int) -> BinaryIO:
        fd, name = tempfile.mkstemp(prefix="pj-", dir=files.spool_dir())
        self.paths[index] = Path(name)
        handle = os.fdopen(fd, "wb")
        self.handles[index] = handle
        return handle

    def take(self, index: int) -> Path | None:
        handle = self.handles.pop(index, None)
        if handle is not None:
            handle.close()
        return self.paths.pop(index, None)

    def cleanup(self) -> None:
        for index in list(self.handles):
            path = self.take(index)
            if path:
                path.unlink(missing_ok=True)
        for path in self.paths.values():
            path.unlink(missing_ok=True)


class _Writer:
    """Buffers pièces with their lines and references; writes them in batches."""

    def __init__(self, flux: Flux) -> None:
        self.flux = flux
        self.coll_id = flux.collectivite_id
        self.tiers_ids = dict(
            Tiers.objects.filter(collectivite_id=self.coll_id).values_list("cle", "id")
        )
        self.new_tiers: dict[str, Tiers] = {}
        self.pending: list[tuple[Piece, r.Piece, str | None]] = []
        self.result = IngestResult()

    def add(
        self, piece: Piece, record: r.Piece, tiers_key: str | None, tiers: r.Tiers | None
    ) -> None:
        if (
            tiers_key
            and tiers_key not in self.tiers_ids
            and tiers_key not in self.new_tiers
            and tiers
        ):
            self.new_tiers[tiers_key] = _tiers_row(self.coll_id, tiers_key, tiers)
        self.pending.append((piece, record, tiers_key))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.new_tiers:
            created = Tiers.objects.bulk_create(list(self.new_tiers.values()), batch_size=BATCH)
            for row in created:
                self.tiers_ids[row.cle] = row.pk
            self.new_tiers.clear()
        if not self.pending:
            return
        pieces = []
        for piece, _rec, key in self.pending:
            piece.tiers_id = self.tiers_ids.get(key) if key else None
            pieces.append(piece)
        versions.touch({piece.exercice_id for piece in pieces})
        Piece.objects.bulk_create(pieces, batch_size=BATCH)
        lignes, refs, events = [], [], []
        factures: list[FacturePiece] = []
        for piece, rec, _key in self.pending:
            events.append(
                PieceEvent(
                    piece=piece,
                    etat=EtatPiece.RECUE,
                    actor="passerelle",
                    message="Reçue par flux PES.",
                )
            )
            for lg in rec.lignes:
                lignes.append(
                    Ligne(
                        piece=piece,
                        id_ligne=(lg.id_ligne or "")[:20],
                        nature=(lg.nature or "")[:20],
                        fonction=(lg.fonction or "")[:20],
                        operation=(lg.operation or "")[:20],
                        libelle=(lg.libelle or "")[:300],
                        mt_ht=lg.mt_ht or Decimal("0"),
                        mt_tva=lg.mt_tva or Decimal("0"),
                    )
                )
                refs.extend(_refs(piece, lg.pj_refs))
            refs.extend(_refs(piece, rec.pj_refs))
            factures.extend(
                FacturePiece(piece=piece, collectivite_id=self.coll_id, numero=numero[:20])
                for numero in dict.fromkeys(n.strip() for n in rec.factures if n.strip())
            )
        Ligne.objects.bulk_create(lignes, batch_size=BATCH)
        FacturePiece.objects.bulk_create(factures, batch_size=BATCH)
        PjRef.objects.bulk_create(refs, batch_size=BATCH)
        PieceEvent.objects.bulk_create(events, batch_size=BATCH)
        # The pending pièces are all of one bordereau: a flush ends every bordereau.
        first = pieces[0]
        pieces_received.send(
            sender=Piece,
            piece_ids=sorted(p.pk for p in pieces),
            collectivite_id=self.coll_id,
            domaine=first.domaine,
            bordereau_id=first.bordereau_id,
            flux_id=self.flux.pk,
            lived=False,
        )
        self.result.pieces += len(pieces)
        self.result.lignes += len(lignes)
        self.pending.clear()


def _refs(piece: Piece, pj_refs: tuple[r.PjRef, ...]) -> list[PjRef]:
    return [
        PjRef(
            piece=piece,
            id_unique=(ref.id_unique or "")[:100],
            nom=(ref.nom_pj or "")[:255],
            support=(ref.support or "")[:2],
        )
        for ref in pj_refs
        if ref.id_unique
    ]


def ingest(flux: Flux) -> IngestResult:
    """Take a flow's accepted bordereaux into the ledger.

    Each bordereau is written in its own transaction with its pièces, lines and references:
    on SQLite a single transaction for a 100 000-pièce flow would hold the database's write
    lock for the whole ingest, and every web request would wait behind it. A retried ingest
    skips the bordereaux already written and the PJ already stored, so it stays idempotent;
    the flow is marked integrated (`passerelle.integration`) in the transaction of the last
    write, and once marked it is skipped without reading the file.
    """
    budget = flux.budget
    if budget is None:
        raise ValueError(f"flux {flux.pk}: budget inconnu, rien à intégrer")
    if integration.is_integrated(flux):
        return IngestResult(skipped=True)
    accepted = {
        (b["domaine"], str(b["id_bord"]))
        for b in (flux.summary or {}).get("bordereaux", [])
        if b.get("accepte")
    }
    todo = accepted - set(Bordereau.objects.filter(flux=flux).values_list("domaine", "id_bord"))
    sink = _PjSink()
    writer = _Writer(flux)
    exercices: dict[int, Exercice] = {}
    try:
        with files.local_path(flux.fichier) as path:
            records = iter(read_pes_aller(path, pj_sink=sink))
            for rec in records:
                if isinstance(rec, r.Bordereau) and (rec.domaine, str(rec.id_bord)) in todo:
                    with transaction.atomic():
                        bordereau = _create_bordereau(flux, budget, rec, exercices)
                        writer.result.bordereaux += 1
                        _ingest_bordereau(flux, bordereau, records, writer, sink)
                elif isinstance(rec, r.Pj):
                    _store_pj(flux, rec, sink.take(rec.index))
                    writer.result.pjs += 1
        with transaction.atomic():
            journal.record(
                "helios_reception",
                actor_label="helios",
                obj=flux,
                collectivite=flux.collectivite_id,
                details={
                    "bordereaux": writer.result.bordereaux,
                    "pieces": writer.result.pieces,
                    "pj": writer.result.pjs,
                },
            )
            integration.mark_integrated(flux)
    finally:
        sink.cleanup()
    return writer.result


def _ingest_bordereau(
    flux: Flux,
    bordereau: Bordereau,
    records: Iterator[r.PesAllerRecord],
    writer: _Writer,
    sink: _PjSink,
) -> None:
    """Write the pièces of `bordereau` (and the PJ read meanwhile) from `records`, up to its end;
    runs in the bordereau's transaction."""
    for rec in records:
        if isinstance(rec, r.BordereauEnd):
            writer.flush()
            integration.keep_claim(flux)
            return
        if isinstance(rec, r.Piece):
            tiers = next((t for lg in rec.lignes for t in lg.tiers), None)
            writer.add(
                _piece_row(flux, bordereau, rec),
                rec,
                _tiers_key(tiers) if tiers else None,
                tiers,
            )
        elif isinstance(rec, r.Pj):
            _store_pj(flux, rec, sink.take(rec.index))
            writer.result.pjs += 1
    writer.flush()  # the file ended inside the bordereau


def _create_bordereau(
    flux: Flux, budget: Budget, rec: r.Bordereau, exercices: dict[int, Exercice]
) -> Bordereau:
    annee = int(rec.exercice or 0)
    if annee not in exercices:
        exercices[annee], _ = Exercice.objects.get_or_create(budget=budget, annee=annee)
    return Bordereau.objects.create(
        exercice=exercices[annee],
        flux=flux,
        domaine=rec.domaine,
        id_bord=str(rec.id_bord),
        typ_bord=(rec.typ_bord or "")[:4],
        xml_id=(rec.xml_id or "")[:100],
        date_emission=_date(rec.dte_bord_em),
        nbr_pce=rec.nbr_pce or 0,
        mt_ht=rec.mt_bord_ht or Decimal("0"),
        mt_tva=rec.mt_bord_tva or Decimal("0"),
    )


def _piece_row(flux: Flux, current: Bordereau, rec: r.Piece) -> Piece:
    mt_ht, mt_tva = rec.mt_ht, rec.mt_tva
    ttc = mt_ht + mt_tva
    modes = {lg.mod_regl for lg in rec.lignes if lg.mod_regl}
    prl = next((lg.prelevement for lg in rec.lignes if lg.prelevement), None)
    return Piece(
        bordereau=current,
        exercice=current.exercice,
        collectivite_id=flux.collectivite_id,
        domaine=rec.domaine,
        id_pce=str(rec.id_pce or "")[:20],
        typ_pce=(rec.typ_pce or "")[:4],
        nat_pce=(rec.nat_pce or "")[:4],
        objet=(rec.objet or "")[:500],
        mt_ht=mt_ht,
        mt_tva=mt_tva,
        mt_ttc=ttc,
        mode_reglement=(sorted(modes)[0] if modes else "")[:4],
        date_emission=current.date_emission,
        date_echeance=_date(rec.dte_ech),
        reste_a_recouvrer=ttc if rec.domaine == Domaine.RECETTE else Decimal("0"),
        rum=((prl.rum or "") if prl else "")[:35],
        date_signature_mandat=_date(prl.date_signature) if prl else None,
    )


def _store_pj(flux: Flux, rec: r.Pj, path: Path | None) -> None:
    if not rec.id_unique:
        if path:
            path.unlink(missing_ok=True)
        return
    stored = None
    error = rec.error or ""
    if path is not None and rec.content is not None and not error:
        stored = files.keep(
            files.SpooledFile(path, rec.content.sha256, rec.content.size),
            media_type=(rec.mime_type or "application/octet-stream")[:100],
        )
    elif path is not None:
        path.unlink(missing_ok=True)
    PieceJustificative.objects.get_or_create(
        collectivite_id=flux.collectivite_id,
        id_unique=rec.id_unique[:100],
        defaults={
            "flux": flux,
            "nom": (rec.nom_pj or "")[:255],
            "type_pj": (rec.type_pj or "")[:4],
            "mime_type": (rec.mime_type or "")[:100],
            "fichier": stored,
            "erreur": error[:300],
        },
    )
