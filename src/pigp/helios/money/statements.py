"""Bank statements (camt.053 / camt.054) of the Trésor account: import and matching.

`import_camt` validates the file, keeps every booked credit line, matches it to a titre
(reference first, then amount and debtor name) and records the matched ones in bulk
(`recovery.apply_encaissements`, one journal entry per import); unmatched lines wait for
`match_line`. A line carrying the EndToEndId of a direct debit is matched to its titre without
being counted: the money is recorded when the direct-debit run is settled. The booked debit
lines go to `statement_debits.reconcile` (payment runs), in the same transaction.

A statement is imported once: the same file (same SHA-256) for the same collectivité is
refused, so neither its encaissements nor its debits are counted twice. A credit line that
repeats a movement of another file — the same credit in the camt.054 of the day, then in its
camt.053: same account, amount and date, and the same bank reference (AcctSvcrRef) or, without
one, the same EndToEndId (`statement_seen`) — is kept as "déjà constaté" with its explanation,
and records nothing: no encaissement, no treasury movement, no second match.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from pigp.core import files, journal
from pigp.core.models import Collectivite
from pigp.formats import sepa
from pigp.helios.models import (
    CamtImport,
    CamtLine,
    CompteTresor,
    Encaissement,
    Piece,
    Prelevement,
)
from pigp.helios.money.accounts import PaymentError, compte_tresor
from pigp.helios.money.bulk import BATCH
from pigp.helios.money.recovery import (
    Apply,
    RecoveryError,
    apply_encaissements,
    record_encaissement,
    titres_dus,
)
from pigp.helios.money.statement_debits import debit_entries, reconcile
from pigp.helios.money.statement_seen import SeenLines, entry_account, entry_end_to_end_id

M = CamtLine.Methode


def _norm(text: str | None) -> str:
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", plain).split())


TITRE_IN_TEXT = re.compile(r"\bTITRE\s*(?:N\s*O?\s*)?(\d{1,20})\b")
TOKEN = re.compile(r"[A-Z0-9][A-Z0-9-]*")


def titre_keys(annee: int, id_bord: str, id_pce: str) -> list[str]:
    """Reference keys a payer may quote for a titre."""
    return [f"T{id_pce}".upper(), f"T{annee}-{id_bord}-{id_pce}".upper()]


@dataclass
class _Index:
    by_key: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_number: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_amount_name: dict[tuple[Decimal, str], list[int]] = field(
        default_factory=lambda: defaultdict(list)
    )
    reste: dict[int, Decimal] = field(default_factory=dict)
    prelevements: dict[str, int] = field(default_factory=dict)


def _index(collectivite: Collectivite) -> _Index:
    index = _Index()
    rows = (
        titres_dus([collectivite])
        .values(
            "pk",
            "id_pce",
            "reste_a_recouvrer",
            "exercice__annee",
            "bordereau__id_bord",
            "tiers__nom",
            "tiers__prenom",
            "tiers__titulaire",
        )
        .iterator(BATCH)
    )
    for row in rows:
        pk = row["pk"]
        index.reste[pk] = row["reste_a_recouvrer"]
        for key in titre_keys(row["exercice__annee"], row["bordereau__id_bord"], row["id_pce"]):
            index.by_key[key].append(pk)
        index.by_number[row["id_pce"].upper()].append(pk)
        nom, prenom = row["tiers__nom"] or "", row["tiers__prenom"] or ""
        names = {_norm(f"{nom} {prenom}"), _norm(f"{prenom} {nom}"), _norm(nom)}
        names.add(_norm(row["tiers__titulaire"]))
        for name in names - {""}:
            index.by_amount_name[(row["reste_a_recouvrer"], name)].append(pk)
    index.prelevements = dict(
        Prelevement.objects.filter(piece__collectivite=collectivite).values_list(
            "reference", "piece_id"
        )
    )
    return index


def _pick(candidates: Iterable[int], amount: Decimal, index: _Index) -> int | None:
    """The one titre among `candidates` that can take `amount` (exact reste preferred)."""
    fits = sorted({pk for pk in candidates if index.reste.get(pk, 0) >= amount})
    if len(fits) == 1:
        return fits[0]
    exact = [pk for pk in fits if index.reste[pk] == amount]
    return exact[0] if len(exact) == 1 else None


def _match(entry: sepa.CamtEntry, index: _Index) -> tuple[int | None, str]:
    amount = entry.amount
    for e2e in entry.end_to_end_ids:
        if e2e in index.prelevements:
            return index.prelevements[e2e], "prelevement"
    texts = [*entry.end_to_end_ids, *entry.remittance]
    keys: set[int] = set()
    for text in texts:
        upper = text.strip().upper()
        for key in {upper, *TOKEN.findall(upper)}:
            keys.update(index.by_key.get(key, ()))
        for number in TITRE_IN_TEXT.findall(_norm(text)):
            keys.update(index.by_number.get(number, ()))
    for tx in entry.transactions:
        for ref in tx.remittance_references:
            keys.update(index.by_number.get(ref.strip().upper(), ()))
    if keys:
        pk = _pick(keys, amount, index)
        if pk is not None:
            return pk, "reference"
    name = _norm(entry.debtor_name)
    if name:
        pk = _pick(index.by_amount_name.get((amount, name), ()), amount, index)
        if pk is not None:
            return pk, "montant"
    return None, ""


def import_camt(
    collectivite: Collectivite, content: bytes, filename: str, *, actor: str
) -> CamtImport:
    """Import a camt.053 / camt.054: keep its credit lines, record the matched encaissements,
    and reconcile its debit lines with the payment runs."""
    report = _valid_report(content)
    digest = hashlib.sha256(content).hexdigest()
    _refuse_repeat(collectivite, digest)
    entries, debits = _entries(collectivite, content)
    with transaction.atomic():
        stored = files.store_bytes(content, media_type="application/xml")
        camt = CamtImport.objects.create(
            collectivite=collectivite,
            fichier=stored,
            nom=filename[:255],
            message=(report.message.name if report.message else "")[:20],
            releve=next((e.statement_id for e in (*entries, *debits)), report.msg_id or "")[:35],
            cree_par=actor,
        )
        # PostgreSQL: two imports for one collectivité wait for each other, so a credit in two
        # files imported at once is still seen once (SQLite: the import holds the write lock).
        if connection.features.has_select_for_update:
            list(Collectivite.objects.select_for_update().filter(pk=collectivite.pk).values("pk"))
        lines = CamtLine.objects.bulk_create(
            _matched_lines(camt, collectivite, entries), batch_size=BATCH
        )
        applied = _apply_lines(lines, actor=actor)
        deja = sum(1 for line in lines if line.methode == M.DEJA)
        camt.lignes = len(lines)
        # Repeats count as reconciled (nothing is left to do with them), as on the debit side.
        camt.rapprochees = sum(1 for line in lines if line.piece_id) + deja
        camt.save(update_fields=["lignes", "rapprochees"])
        journal.record(
            "helios_releve",
            actor_label=actor,
            obj=camt,
            collectivite=collectivite.pk,
            details={
                "lignes": camt.lignes,
                "rapprochees": camt.rapprochees,
                "deja_constatees": deja,
                "encaissements": len(applied),
                "total": str(sum((i.montant for i in applied), Decimal("0.00"))),
                "sha256": digest,
            },
        )
        reconcile(camt, debits, actor=actor)
    return camt


def _valid_report(content: bytes) -> sepa.SepaReport:
    report = sepa.validate_camt(content)
    if not report.valid:
        findings = "; ".join(
            (f"ligne {f.location.line} : " if f.location and f.location.line else "") + f.message
            for f in report.errors[:10]
        )
        raise RecoveryError(f"Le relevé n'est pas un camt.053 / camt.054 valide : {findings}")
    return report


def _refuse_repeat(collectivite: Collectivite, digest: str) -> None:
    """A statement is imported once per collectivité (same SHA-256)."""
    previous = CamtImport.objects.filter(collectivite=collectivite, fichier__sha256=digest).first()
    if previous is not None:
        raise RecoveryError(
            f"Ce relevé a déjà été importé le {timezone.localtime(previous.cree_le):%d/%m/%Y à %H:%M} "
            f"(« {previous.nom} ») : il n'est pas importé une seconde fois."
        )


def _entries(
    collectivite: Collectivite, content: bytes
) -> tuple[list[sepa.CamtEntry], list[sepa.CamtEntry]]:
    """The booked credit entries and the debit entries of the statement, which must be of the
    poste's Trésor account (when one is configured)."""
    try:
        compte: CompteTresor | None = compte_tresor(collectivite)
    except PaymentError:
        compte = None
    entries = []
    try:
        all_entries = list(sepa.iter_camt_entries(content))
    except sepa.SepaError as exc:
        raise RecoveryError(f"Le relevé n'a pas pu être lu : {exc}") from exc
    for entry in all_entries:
        if (
            compte is not None
            and entry.account_iban
            and entry.account_iban.replace(" ", "") != compte.iban.replace(" ", "")
        ):
            raise RecoveryError(
                f"Ce relevé concerne le compte {entry.account_iban}, qui n'est pas le compte "
                "au Trésor du poste."
            )
        if entry.credit and entry.booked:
            entries.append(entry)
    return entries, debit_entries(all_entries)


def _matched_lines(
    camt: CamtImport, collectivite: Collectivite, entries: list[sepa.CamtEntry]
) -> list[CamtLine]:
    """One (unsaved) line per credit entry, matched to a titre, or noted as a repeat."""
    lines = [_line(camt, entry) for entry in entries]
    seen = SeenLines(CamtLine, collectivite, lines)
    index = _index(collectivite)
    for entry, line in zip(entries, lines, strict=True):
        line.explication = seen.check(line)
        if line.explication:
            line.methode = M.DEJA
            continue
        pk, methode = _match(entry, index)
        if pk is not None and methode != M.PRELEVEMENT:
            index.reste[pk] -= entry.amount
        line.piece_id, line.methode = pk, methode
    return lines


def _apply_lines(lines: list[CamtLine], *, actor: str) -> list[Apply]:
    """The encaissements of the matched lines (a direct debit's is recorded at its settlement)."""
    items = [
        Apply(line.piece_id, line.montant, line.date, line.reference, line.pk)
        for line in lines
        if line.piece_id and line.methode != M.PRELEVEMENT
    ]
    applied = apply_encaissements(items, actor=actor, source=Encaissement.Source.RELEVE)
    if len(applied) != len(items):  # pragma: no cover - the index already checked the reste
        raise RecoveryError("Le relevé n'a pas pu être rapproché : recommencez l'import.")
    return applied


def _line(camt: CamtImport, entry: sepa.CamtEntry) -> CamtLine:
    e2e = next(iter(entry.given_end_to_end_ids), "")
    return CamtLine(
        camt=camt,
        montant=entry.amount,
        date=entry.booking_date or entry.value_date or timezone.localdate(),
        reference=(e2e or next(iter(entry.remittance), ""))[:140],
        debiteur=(entry.debtor_name or "")[:140],
        iban_debiteur=(entry.debtor_iban or "")[:34],
        libelle=" ".join(entry.remittance)[:300],
        compte=entry_account(entry),
        reference_banque=(entry.account_servicer_ref or "")[:35],
        bout_en_bout=entry_end_to_end_id(entry),
    )


def unmatched_lines(collectivites: Iterable[Collectivite] | QuerySet) -> QuerySet[CamtLine]:
    """Credit lines waiting for the comptable (repeats of a credit already seen are not)."""
    return CamtLine.objects.filter(
        camt__collectivite__in=collectivites, piece__isnull=True
    ).exclude(methode=M.DEJA)


def match_line(line: CamtLine, piece: Piece, *, actor: str) -> Encaissement:
    """Match an unmatched statement line to a titre by hand and record the encaissement."""
    with transaction.atomic():
        line = CamtLine.objects.select_for_update().select_related("camt").get(pk=line.pk)
        if line.piece_id is not None:
            raise RecoveryError("Cette ligne de relevé est déjà rapprochée.")
        if line.methode == M.DEJA:
            raise RecoveryError(
                "Cette ligne répète un crédit déjà constaté sur un relevé : elle n'est pas "
                "rapprochée une seconde fois."
            )
        if piece.collectivite_id != line.camt.collectivite_id:
            raise RecoveryError("Ce titre n'appartient pas à la collectivité du relevé.")
        enc = record_encaissement(
            piece,
            line.montant,
            line.date,
            actor=actor,
            reference=line.reference,
            source=Encaissement.Source.RELEVE,
            camt_line=line,
        )
        line.piece = piece
        line.methode = M.MANUEL
        line.save(update_fields=["piece", "methode"])
        CamtImport.objects.filter(pk=line.camt_id).update(rapprochees=F("rapprochees") + 1)
    return enc


__all__ = ["import_camt", "match_line", "titre_keys", "unmatched_lines"]
