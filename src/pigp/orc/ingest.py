"""The ingest: a pièce's archive unit, its metadata and documents, built as its life goes.

Hélios' life-cycle signals write `PendingIngest` rows in their own transaction (`receivers`);
the worker (`work_pending`, run by the task `tasks.archiver`) claims each row under a lease,
builds the unit (`ingest_piece`) and deletes the row only if nobody asked again meanwhile
(`requested_at` unchanged). A row whose ingest fails stays, with its error, and is retried
after a back-off; a worker killed mid-ingest leaves its lease to expire and the next run
redoes the pièce. Everything is idempotent: a unit per pièce (one-to-one), an object per
content (its SHA-512), a document per (unit, object, role), and a document already archived
is recognised by its source key (`ArchiveDocument.id_unique`) without reading its file again.

At the clôture of an exercice (`complete_exercice`) every pièce of it gets its unit (rejected
and cancelled pièces too) and the units are sealed as closed, with a manifest's digest.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from pigp.core import files, journal
from pigp.core.models import StoredFile
from pigp.helios import documents as helios_documents
from pigp.helios.models import (
    Domaine,
    Encaissement,
    EtatPiece,
    Exercice,
    FacturePiece,
    Paiement,
    Piece,
    PieceEvent,
    PieceJustificative,
    RetourEmis,
)
from pigp.orc import adhesion, attestations, retention, silo
from pigp.orc.models import (
    ArchiveDocument,
    ArchiveUnit,
    ExerciceArchive,
    PendingIngest,
    RoleDocument,
    StatutUnite,
)

log = logging.getLogger(__name__)

E = EtatPiece
# States in which a pièce is archived as its life goes: a mandat once paid, a titre once taken
# in charge (and again as it is recovered). The others wait for the clôture of the exercice.
ARCHIVABLE: dict[str, frozenset[str]] = {
    Domaine.DEPENSE: frozenset({E.PAYEE}),
    Domaine.RECETTE: frozenset({E.PRISE_EN_CHARGE, E.PARTIELLE, E.SOLDEE}),
}
PDF_MAX_PAGES = 50
PDF_MAX_CHARS = 200_000
BATCH = 200


def archivable(domaine: str, etat: str) -> bool:
    return etat in ARCHIVABLE.get(domaine, frozenset())


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.PIGP_ORC_LEASE_SECONDS)


def retry_delay(attempts: int) -> datetime.timedelta:
    """1, 2, 4… minutes after a failed ingest, at most an hour."""
    return min(datetime.timedelta(minutes=2 ** max(attempts - 1, 0)), datetime.timedelta(hours=1))


# --- the outbox ------------------------------------------------------------------------------


def request(
    piece_ids: Iterable[int], *, now: datetime.datetime | None = None, bump: bool = True
) -> list[int]:
    """Ask for (re)archiving `piece_ids`: one `PendingIngest` each, `requested_at` bumped when
    already pending (a run under way then archives the pièce once more), unless `bump` is
    False (a catch-up: a pending pièce will be archived anyway). Two queries, no file work:
    safe inside Hélios' transaction."""
    ids = sorted(set(piece_ids))
    if not ids:
        return ids
    now = now or timezone.now()
    if bump:
        PendingIngest.objects.filter(piece_id__in=ids).update(requested_at=now)
    PendingIngest.objects.bulk_create(
        [PendingIngest(piece_id=pk, requested_at=now) for pk in ids],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return ids


def _claim(row_id: int) -> PendingIngest | None:
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    taken = PendingIngest.objects.filter(free, pk=row_id).update(
        lease_until=now + lease(), attempts=F("attempts") + 1
    )
    if not taken:
        return None
    return PendingIngest.objects.filter(pk=row_id).first()


@dataclass
class WorkResult:
    archived: list[int] = field(default_factory=list)  # pièce ids
    failed: dict[int, str] = field(default_factory=dict)  # pièce id → error

    @property
    def count(self) -> int:
        return len(self.archived)


def pending_rows(
    *,
    piece_ids: Iterable[int] | None = None,
    exercice_id: int | None = None,
    collectivite_id: int | None = None,
) -> Any:
    rows = PendingIngest.objects.all()
    if piece_ids is not None:
        rows = rows.filter(piece_id__in=list(piece_ids))
    if exercice_id is not None:
        rows = rows.filter(piece__exercice_id=exercice_id)
    if collectivite_id is not None:
        rows = rows.filter(piece__collectivite_id=collectivite_id)
    return rows


def work_pending(
    *,
    piece_ids: Iterable[int] | None = None,
    exercice_id: int | None = None,
    collectivite_id: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> WorkResult:
    """Archive the pending pièces (those given, or all), each claimed under a lease. A failure
    is recorded on its row, which stays for a later try; it never stops the others."""
    result = WorkResult()
    rows = pending_rows(
        piece_ids=piece_ids, exercice_id=exercice_id, collectivite_id=collectivite_id
    )
    now = timezone.now()
    ids = list(
        rows.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("piece_id")
        .values_list("pk", flat=True)
    )
    total = len(ids)
    for done, row_id in enumerate(ids, start=1):
        row = _claim(row_id)
        if row is not None:
            _work_one(row, result)
        if progress is not None:
            progress(done, total)
    return result


def _work_one(row: PendingIngest, result: WorkResult) -> None:
    for _round in range(3):
        try:
            unit = ingest_piece(row.piece_id)
        except Exception as exc:
            log.exception("ORC: ingest of pièce %s failed", row.piece_id)
            PendingIngest.objects.filter(pk=row.pk).update(
                lease_until=timezone.now() + retry_delay(row.attempts),
                last_error=f"{type(exc).__name__}: {exc}"[:2000],
            )
            result.failed[row.piece_id] = str(exc)
            return
        gone, _ = PendingIngest.objects.filter(pk=row.pk, requested_at=row.requested_at).delete()
        if gone:
            break
        # Asked again while we worked (a new state): archive it once more, lease renewed.
        PendingIngest.objects.filter(pk=row.pk).update(lease_until=timezone.now() + lease())
        again = PendingIngest.objects.filter(pk=row.pk).first()
        if again is None:
            break
        row = again
    else:
        PendingIngest.objects.filter(pk=row.pk).update(lease_until=None)
    result.archived.append(row.piece_id)
    if unit.couverte:
        _attest(unit)


def _attest(unit: ArchiveUnit) -> None:
    """The attestation d'archivage of a covered unit, as soon as it is archived; when it
    cannot be issued now (a copy to repair) the attestations' sweep tries again."""
    try:
        attestations.issue_for(unit)
    except Exception:
        log.exception("ORC: attestation of unit %s deferred to the sweep", unit.pk)


def stale_pending(*, older_than: datetime.timedelta | None = None) -> list[int]:
    """Pièces whose pending row no live run holds and whose retry time has come."""
    now = timezone.now()
    older = now - (older_than if older_than is not None else datetime.timedelta(seconds=30))
    return list(
        PendingIngest.objects.filter(
            Q(lease_until__isnull=True, requested_at__lt=older) | Q(lease_until__lt=now)
        ).values_list("piece_id", flat=True)
    )


# --- the unit --------------------------------------------------------------------------------


@dataclass
class Source:
    """A document to archive: its role, name and the stored file it comes from."""

    role: str
    nom: str
    key: str  # ArchiveDocument.id_unique: the PJ's IdUnique, else "<kind>:<StoredFile id>"
    fichier: StoredFile
    media_type: str
    recu_le: datetime.datetime | None = None


def _stored_key(kind: str, stored: StoredFile) -> str:
    return f"{kind}:{stored.pk}"


def _sources(piece: Piece) -> list[Source]:
    """Every document of the pièce that can be found: PJ, invoice (other apps), signed flow,
    its acquittal, the PES_Retour flows that reported the pièce."""
    found: list[Source] = []
    refs = list(piece.pj_refs.all())
    pjs = {
        pj.id_unique: pj
        for pj in PieceJustificative.objects.filter(
            collectivite_id=piece.collectivite_id, id_unique__in=[r.id_unique for r in refs]
        ).select_related("fichier", "flux")
    }
    for ref in refs:
        pj = pjs.get(ref.id_unique)
        if pj is None or pj.fichier is None:
            continue  # announced but not (yet) received, or not decodable: nothing to keep
        found.append(
            Source(
                RoleDocument.PJ,
                pj.nom or ref.nom or ref.id_unique,
                ref.id_unique,
                pj.fichier,
                pj.mime_type or pj.fichier.media_type,
                pj.flux.created_at,
            )
        )
    for item in helios_documents.contents_of([piece]).get(piece.pk, []):
        role = RoleDocument.FACTURE if item.kind == "facture" else RoleDocument.PJ
        found.append(
            Source(
                role,
                item.label,
                _stored_key(item.kind, item.fichier),
                item.fichier,
                item.media_type or item.fichier.media_type,
            )
        )
    flux = piece.bordereau.flux
    found.append(
        Source(
            RoleDocument.FLUX,
            flux.original_name,
            _stored_key("flux", flux.fichier),
            flux.fichier,
            flux.fichier.media_type or "application/xml",
            flux.created_at,
        )
    )
    if flux.acquit is not None:
        found.append(
            Source(
                RoleDocument.ACQUIT,
                f"ACQUIT_{flux.nom_fic or flux.original_name}",
                _stored_key("acquit", flux.acquit),
                flux.acquit,
                "application/xml",
            )
        )
    for retour in _retours_of(piece):
        mail = retour.mailbox_item
        found.append(
            Source(
                RoleDocument.RETOUR,
                retour.nom,
                _stored_key("retour", mail.fichier),
                mail.fichier,
                "application/xml",
                mail.created_at,
            )
        )
    return found


def _retours_of(piece: Piece) -> list[RetourEmis]:
    """The PES_Retour flows that reported the pièce. Hélios keeps no pièce-by-retour link: a
    retour carries the pièces of its budget and domaine whose history moved (an event, a
    payment, a recovery) within its window (`depuis`, `jusqua`], which is what is matched."""
    moments = list(PieceEvent.objects.filter(piece=piece).values_list("at", flat=True))
    moments += Paiement.objects.filter(piece=piece).values_list("cree_le", flat=True)
    moments += Encaissement.objects.filter(piece=piece).values_list("cree_le", flat=True)
    if not moments:
        return []
    retours = RetourEmis.objects.filter(
        budget_id=piece.exercice.budget_id,
        domaine=piece.domaine,
        jusqua__gte=min(moments),
        depuis__lt=max(moments),
    ).select_related("mailbox_item__fichier")
    return [r for r in retours if any(r.depuis < m <= r.jusqua for m in moments)]


def pdf_text(stored: StoredFile) -> tuple[str, str]:
    """The text of a PDF (bounded in pages and characters) and a note; a broken PDF gives ""
    and says why, never an error."""
    from pypdf import PdfReader

    try:
        with files.local_path(stored) as path:
            reader = PdfReader(str(path))
            parts: list[str] = []
            size = 0
            for page in reader.pages[:PDF_MAX_PAGES]:
                text = page.extract_text() or ""
                parts.append(text)
                size += len(text)
                if size >= PDF_MAX_CHARS:
                    break
            note = ""
            if len(reader.pages) > PDF_MAX_PAGES:
                note = f"texte des {PDF_MAX_PAGES} premières pages seulement"
            return " ".join(" ".join(parts).split())[:PDF_MAX_CHARS], note
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        return "", f"texte non extrait : {type(exc).__name__}"


def _couverte(collectivite_id: int, received: list[datetime.datetime]) -> bool:
    """Covered by the adhesion (`adhesion.covers`): its first and its last PJ were received
    while an adhesion was in force. A unit without PJ has nothing to cover."""
    if not received:
        return False
    return adhesion.covers(collectivite_id, min(received)) and adhesion.covers(
        collectivite_id, max(received)
    )


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.date | datetime.datetime) else value


def _metadata(piece: Piece) -> dict[str, Any]:
    lignes = [
        {
            "numero": ligne.id_ligne,
            "libelle": ligne.libelle,
            "nature": ligne.nature,
            "fonction": ligne.fonction,
            "operation": ligne.operation,
            "mt_ht": str(ligne.mt_ht),
            "mt_tva": str(ligne.mt_tva),
        }
        for ligne in piece.lignes.all()
    ]
    events = [
        {"etat": ev.etat, "at": ev.at.isoformat(), "acteur": ev.actor, "message": ev.message}
        for ev in piece.events.all()
    ]
    paiements = [
        {
            "date": p.date.isoformat(),
            "montant": str(p.montant),
            "reference": p.reference,
            "campagne": p.run_id,
        }
        for p in Paiement.objects.filter(piece=piece).order_by("date", "pk")
    ]
    encaissements = [
        {
            "date": e.date.isoformat(),
            "montant": str(e.montant),
            "source": e.source,
            "reference": e.reference,
        }
        for e in Encaissement.objects.filter(piece=piece).order_by("date", "pk")
    ]
    meta: dict[str, Any] = {
        "lignes": lignes,
        "evenements": events,
        "paiements": paiements,
        "encaissements": encaissements,
        "bordereau": {
            "numero": piece.bordereau.id_bord,
            "type": piece.bordereau.typ_bord,
            "emis_le": _iso(piece.bordereau.date_emission),
        },
        "type_piece": piece.typ_pce,
        "nature_piece": piece.nat_pce,
        "mode_reglement": piece.mode_reglement,
        "date_reception": _iso(piece.date_reception),
        "date_echeance": _iso(piece.date_echeance),
        "date_rejet": _iso(piece.date_rejet),
        "date_solde": _iso(piece.date_solde),
        "reste_a_recouvrer": str(piece.reste_a_recouvrer),
    }
    if piece.etat in (E.REJETEE, E.EN_INSTANCE) or piece.motif_code:
        meta["motif"] = {"code": piece.motif_code, "commentaire": piece.motif_commentaire}
    return meta


def _tiers_nom(piece: Piece) -> str:
    tiers = piece.tiers
    if tiers is None:
        return ""
    return " ".join(part for part in (tiers.prenom, tiers.nom) if part)[:300]


def _tiers_siret(piece: Piece) -> str:
    tiers = piece.tiers
    if tiers is None:
        return ""
    # NatIdTiers 01 = SIRET (PES); without a nature, a 14-digit identifier is taken as one.
    ident = (tiers.id_tiers or "").strip()
    if tiers.nat_id_tiers not in ("", "01"):
        return ""
    return ident if len(ident) == 14 and ident.isdigit() else ""


def _unique(values: Iterable[str]) -> str:
    seen: list[str] = []
    for v in values:
        if v and v not in seen:
            seen.append(v)
    return " ".join(seen)


def ingest_piece(piece_id: int) -> ArchiveUnit:
    """Archive one pièce: its unit (created or brought up to date) and the documents not yet
    archived, each on every copy, read back and verified before its row is written. Idempotent;
    raises (and changes no unit) when a copy cannot be written."""
    piece = Piece.objects.select_related(
        "bordereau__flux__fichier",
        "bordereau__flux__acquit",
        "exercice",
        "tiers",
        "collectivite",
    ).get(pk=piece_id)
    unit = ArchiveUnit.objects.filter(piece_id=piece_id).first()
    known = set(unit.documents.values_list("role", "id_unique")) if unit is not None else set()
    added: list[tuple[Source, Any, str, str]] = []  # source, object, text, note
    manquants: list[dict[str, str]] = []
    for src in _sources(piece):
        if (src.role, src.key) in known:
            continue
        try:
            source = files.open_stored(src.fichier)
        except FileNotFoundError:
            # The storage says the file does not exist: waiting will not bring it back. The
            # unit says so (and the journal); the next ingest of the pièce looks again. Any
            # other error (storage unreachable, a copy not written) fails the ingest.
            manquants.append({"role": src.role, "nom": src.nom, "fichier": src.fichier.sha256})
            continue
        with source:
            obj = silo.archive(source, media_type=src.media_type)
        text, note = "", ""
        if src.role in (RoleDocument.PJ, RoleDocument.FACTURE) and (
            "pdf" in src.media_type.lower() or src.nom.lower().endswith(".pdf")
        ):
            text, note = pdf_text(src.fichier)
        known.add((src.role, src.key))
        added.append((src, obj, text, note))

    notes = list(unit.metadata.get("notes_texte", [])) if unit is not None else []
    notes += [
        {"document": src.nom, "sha512": obj.sha512, "note": note}
        for src, obj, _text, note in added
        if note
    ]
    lignes = list(piece.lignes.all())
    with transaction.atomic():
        values = {
            "collectivite_id": piece.collectivite_id,
            "budget_id": piece.exercice.budget_id,
            "exercice_id": piece.exercice_id,
            "annee": piece.exercice.annee,
            "domaine": piece.domaine,
            "numero_bordereau": piece.bordereau.id_bord,
            "numero": piece.id_pce,
            "objet": piece.objet,
            "tiers_nom": _tiers_nom(piece),
            "tiers_siret": _tiers_siret(piece),
            "mt_ht": piece.mt_ht,
            "mt_tva": piece.mt_tva,
            "mt_ttc": piece.mt_ttc,
            "natures": _unique(ligne.nature for ligne in lignes)[:200],
            "fonctions": _unique(ligne.fonction for ligne in lignes)[:200],
            "numeros_factures": _unique(
                FacturePiece.objects.filter(piece=piece).values_list("numero", flat=True)
            )[:500],
            "etat": piece.etat,
            "date_emission": piece.date_emission,
            "date_prise_en_charge": piece.date_prise_en_charge,
            "date_paiement": piece.date_paiement,
            "metadata": {
                **_metadata(piece),
                "documents_manquants": manquants,
                "notes_texte": notes,
            },
        }
        unit, created = ArchiveUnit.objects.update_or_create(piece=piece, defaults=values)
        ArchiveDocument.objects.bulk_create(
            [
                ArchiveDocument(
                    unit=unit,
                    obj=obj,
                    role=src.role,
                    nom=src.nom[:255],
                    media_type=src.media_type[:100],
                    id_unique=src.key[:100],
                    recu_le=src.recu_le,
                    texte=text,
                )
                for src, obj, text, note in added
            ],
            ignore_conflicts=True,
        )
        sealed = (
            ExerciceArchive.objects.select_for_update()
            .filter(exercice_id=piece.exercice_id)
            .first()
        )
        if sealed is not None and unit.statut == StatutUnite.OUVERTE:
            # Paid or recovered after the clôture (restes): the unit joins the sealed exercice.
            unit.statut, unit.scellee_le = StatutUnite.CLOSE, timezone.now()
            ArchiveUnit.objects.filter(pk=unit.pk).update(
                statut=unit.statut, scellee_le=unit.scellee_le
            )
        docs = list(unit.documents.select_related("obj").order_by("pk"))
        pj_received = [d.recu_le for d in docs if d.role == RoleDocument.PJ and d.recu_le]
        unit.texte = " ".join(
            part for part in [piece.objet, unit.tiers_nom, *(d.texte for d in docs)] if part
        )
        unit.couverte = _couverte(piece.collectivite_id, pj_received)
        retention.refresh_dua([unit])  # the longest rule of the unit and of its documents
        ArchiveUnit.objects.filter(pk=unit.pk).update(texte=unit.texte, couverte=unit.couverte)
        journal.record(
            "orc_archivage",
            actor_label="orc",
            obj=unit,
            collectivite=piece.collectivite_id,
            details={
                "piece": piece.pk,
                "etat": piece.etat,
                "nouvelle": created,
                "documents": [
                    {
                        "role": src.role,
                        "nom": src.nom,
                        "sha512": obj.sha512,
                        **({"note": note} if note else {}),
                    }
                    for src, obj, _text, note in added
                ],
                "documents_total": len(docs),
                **({"documents_manquants": manquants} if manquants else {}),
            },
        )
        if sealed is not None and (created or added):
            _seal(sealed, complement=piece.pk)
    return unit


# --- the clôture -----------------------------------------------------------------------------


def manifest(exercice_id: int) -> tuple[bytes, int]:
    """The exercice's manifest: its units (sorted by id) and their documents' digests."""
    units: dict[int, list[str]] = {}
    for unit_id in (
        ArchiveUnit.objects.filter(exercice_id=exercice_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        units[unit_id] = []
    for unit_id, role, sha in (
        ArchiveDocument.objects.filter(unit__exercice_id=exercice_id)
        .order_by("unit_id", "obj__sha512", "role")
        .values_list("unit_id", "role", "obj__sha512")
    ):
        units[unit_id].append(f"{role}:{sha}")
    body = [{"unite": pk, "documents": digests} for pk, digests in sorted(units.items())]
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode(), len(units)


def complete_exercice(exercice_id: int) -> ExerciceArchive | None:
    """Give every pièce of a closed exercice its unit, then seal the units as closed. Returns
    None (and seals nothing) while a pièce of it could not be archived: the sweep tries again."""
    exercice = Exercice.objects.select_related("budget").get(pk=exercice_id)
    done = ExerciceArchive.objects.filter(exercice=exercice).first()
    if done is not None:
        return done
    if not exercice.cloture:
        return None
    # Every pièce once more, in its final state (the PES_Retour sent since are found too).
    ids = list(Piece.objects.filter(exercice=exercice).values_list("pk", flat=True))
    for start in range(0, len(ids), 1000):
        request(ids[start : start + 1000], bump=False)
    work_pending(exercice_id=exercice_id)
    if PendingIngest.objects.filter(piece__exercice_id=exercice_id).exists():
        return None
    with transaction.atomic():
        if ExerciceArchive.objects.filter(exercice=exercice).exists():
            return ExerciceArchive.objects.get(exercice=exercice)
        now = timezone.now()
        ArchiveUnit.objects.filter(exercice=exercice, statut=StatutUnite.OUVERTE).update(
            statut=StatutUnite.CLOSE, scellee_le=now
        )
        sealed = ExerciceArchive(exercice=exercice, close_le=now, unites=0, empreinte="")
        _seal(sealed)
    return sealed


def _seal(sealed: ExerciceArchive, *, complement: int | None = None) -> None:
    """Write the exercice's manifest digest and journal it (call inside a transaction). Again
    with `complement` when a pièce of a sealed exercice is archived after the clôture."""
    exercice = sealed.exercice
    body, count = manifest(exercice.pk)
    sealed.unites = count
    sealed.empreinte = hashlib.sha512(body).hexdigest()
    sealed.save()
    details: dict[str, Any] = {
        "exercice": exercice.annee,
        "budget": exercice.budget_id,
        "unites": count,
        "empreinte": sealed.empreinte,
    }
    if complement is not None:
        details["complement_piece"] = complement
    journal.record(
        "orc_exercice_scelle",
        actor_label="orc",
        obj=sealed,
        collectivite=exercice.budget.collectivite_id,
        details=details,
    )


def closed_unsealed(collectivite_id: int | None = None, annee: int | None = None) -> list[int]:
    """Closed exercices not yet completed and sealed in the archive."""
    sealed = ExerciceArchive.objects.values("exercice_id")
    rows = Exercice.objects.filter(cloture=True).exclude(pk__in=sealed)
    if collectivite_id is not None:
        rows = rows.filter(budget__collectivite_id=collectivite_id)
    if annee is not None:
        rows = rows.filter(annee=annee)
    return list(rows.order_by("annee", "pk").values_list("pk", flat=True))


# --- catching up -----------------------------------------------------------------------------


def missing(*, collectivite_id: int | None = None, annee: int | None = None) -> list[int]:
    """Pièces in an archivable state with no unit yet (paid mandats, titres taken in charge)."""
    cond = Q(domaine=Domaine.DEPENSE, etat__in=ARCHIVABLE[Domaine.DEPENSE]) | Q(
        domaine=Domaine.RECETTE, etat__in=ARCHIVABLE[Domaine.RECETTE]
    )
    rows = Piece.objects.filter(cond, archive__isnull=True)
    if collectivite_id is not None:
        rows = rows.filter(collectivite_id=collectivite_id)
    if annee is not None:
        rows = rows.filter(exercice__annee=annee)
    return list(rows.order_by("pk").values_list("pk", flat=True))


def ingest_rate(piece_ids: Iterable[int]) -> tuple[WorkResult, float]:
    """Archive `piece_ids` through the outbox as the worker does and return what was done and
    the rate in pièces per second (the benchmark's measure; `orc_ingest` prints it too)."""
    import time

    ids = list(piece_ids)
    began = time.perf_counter()
    for start in range(0, len(ids), 1000):
        request(ids[start : start + 1000])
    result = work_pending(piece_ids=ids)
    elapsed = max(time.perf_counter() - began, 1e-9)
    return result, result.count / elapsed
