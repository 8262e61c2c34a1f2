"""Recouvrement: encaissements on titres, bank statements (camt), direct debits, recovery stages.

A titre `prise_en_charge` or `partielle` is due for its `reste_a_recouvrer`. Each encaissement
lowers it, moves the titre to `partielle` or `soldee` and adds a positive treasury movement.

* by hand: `record_encaissement` (one titre, through `states.transition`, journaled);
* from a camt.053 / camt.054: `import_camt` validates the file, keeps every credit line, matches
  it to a titre (reference first, then amount and debtor name) and records the matched ones in
  bulk (`apply_encaissements`: the same rules, one journal entry per import — see
  `payments.bulk_transition` for why); unmatched lines wait for `match_line`;
* by direct debit: `run_direct_debits` writes the pain.008 for titres carrying a SEPA mandate;
  `settle_direct_debits` records their encaissements when the run is settled.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from pigp.core import files, journal
from pigp.core.models import Collectivite
from pigp.formats import sepa
from pigp.formats.sepa.identifiers import bic_problem, creditor_id_problem, iban_problem
from pigp.helios import states
from pigp.helios.models import (
    CamtImport,
    CamtLine,
    Domaine,
    Encaissement,
    EtatPiece,
    Exercice,
    MouvementTresorerie,
    Piece,
    PieceEvent,
    Prelevement,
    PrelevementRun,
    StadeRecouvrement,
)
from pigp.helios.payments import (
    BATCH,
    PaymentError,
    bulk_transition,
    compte_tresor,
    sql_name,
)

DUE = (EtatPiece.PRISE_EN_CHARGE, EtatPiece.PARTIELLE)
DD_VERSIONS = {"001.08": sepa.PAIN_008_08, "001.02": sepa.PAIN_008_02}
DEFAULT_DD_VERSION = "001.08"
CENT = Decimal("0.01")


class RecoveryError(Exception):
    """Refused; the message is for the comptable, in French."""


def euros(amount: Decimal) -> str:
    text = f"{amount:,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{text} €"


def titres_dus(collectivites: Iterable[Collectivite] | QuerySet) -> QuerySet[Piece]:
    return Piece.objects.filter(
        collectivite__in=collectivites,
        domaine=Domaine.RECETTE,
        etat__in=DUE,
        verrouillee=False,
        reste_a_recouvrer__gt=0,
    )


def _check_amount(montant: Decimal, reste: Decimal, label: str) -> None:
    if montant is None or montant <= 0:
        raise RecoveryError("Le montant doit être positif.")
    if montant.quantize(CENT) != montant:
        raise RecoveryError("Le montant a au plus deux décimales.")
    if montant > reste:
        raise RecoveryError(
            f"Le montant ({euros(montant)}) dépasse le reste à recouvrer du {label} "
            f"({euros(reste)}) : un trop-perçu ne peut pas être enregistré sur le titre."
        )


def _label(piece: Piece) -> str:
    return f"titre n° {piece.id_pce}"


# --- one encaissement, by hand ------------------------------------------------------------


def record_encaissement(
    piece: Piece,
    montant: Decimal,
    day: datetime.date,
    *,
    actor: str,
    reference: str = "",
    source: str = Encaissement.Source.MANUEL,
    camt_line: CamtLine | None = None,
) -> Encaissement:
    """Record one encaissement on one titre, or raise RecoveryError and change nothing."""
    with transaction.atomic():
        locked = Piece.objects.select_for_update().select_related("exercice").get(pk=piece.pk)
        if locked.domaine != Domaine.RECETTE:
            raise RecoveryError("Un encaissement ne s'enregistre que sur un titre de recette.")
        if locked.verrouillee:
            raise RecoveryError(f"Le {_label(locked)} appartient à un exercice clos.")
        if locked.etat not in DUE or locked.reste_a_recouvrer <= 0:
            raise RecoveryError(
                f"Le {_label(locked)} n'est pas à recouvrer "
                f"(état : {locked.get_etat_display().lower()})."
            )
        _check_amount(montant, locked.reste_a_recouvrer, _label(locked))
        enc = Encaissement.objects.create(
            piece=locked,
            date=day,
            montant=montant,
            source=source,
            reference=reference[:140],
            camt_line=camt_line,
            cree_par=actor,
        )
        MouvementTresorerie.objects.create(
            budget_id=locked.exercice.budget_id,
            date=day,
            montant=montant,
            libelle=f"Encaissement titre {locked.id_pce}"[:200],
            encaissement=enc,
        )
        reste = locked.reste_a_recouvrer - montant
        Piece.objects.filter(pk=locked.pk).update(reste_a_recouvrer=reste)
        target = EtatPiece.SOLDEE if reste == 0 else EtatPiece.PARTIELLE
        note = f"Encaissement de {euros(montant)} le {day:%d/%m/%Y}"
        if target != locked.etat:
            states.transition(locked, target, actor=actor, commentaire=note, when=day)
        else:
            PieceEvent.objects.create(piece=locked, etat=target, actor=actor, message=note)
        journal.record(
            "helios_encaissement",
            actor_label=actor,
            obj=locked,
            collectivite=locked.collectivite_id,
            details={"montant": str(montant), "date": day.isoformat(), "source": source},
        )
    piece.refresh_from_db()
    return enc


# --- many encaissements at once (statements, direct-debit settlement) ----------------------


@dataclass(frozen=True)
class Apply:
    piece_id: int
    montant: Decimal
    date: datetime.date
    reference: str = ""
    camt_line_id: int | None = None


def apply_encaissements(
    items: list[Apply],
    *,
    actor: str,
    source: str,
    prelevement: PrelevementRun | None = None,
) -> list[Apply]:
    """Record many encaissements in bulk; return those applied (the others are not due).

    Must run inside the caller's transaction. The titres' states move through
    `payments.bulk_transition` (same rules as `states.transition`, PieceEvent rows); the caller
    writes one journal entry for the whole operation.
    """
    if not items:
        return []
    ids = sorted({i.piece_id for i in items})
    info: dict[int, dict] = {}
    for start in range(0, len(ids), BATCH):
        qs = Piece.objects.filter(pk__in=ids[start : start + BATCH]).values(
            "pk",
            "etat",
            "reste_a_recouvrer",
            "domaine",
            "verrouillee",
            "id_pce",
            "exercice__budget_id",
        )
        for row in qs:
            info[row["pk"]] = row
    reste = {pk: row["reste_a_recouvrer"] for pk, row in info.items()}
    applied = []
    for item in items:
        row = info.get(item.piece_id)
        if (
            row is None
            or row["domaine"] != Domaine.RECETTE
            or row["verrouillee"]
            or row["etat"] not in DUE
            or not (0 < item.montant <= reste[item.piece_id])
        ):
            continue
        reste[item.piece_id] -= item.montant
        applied.append(item)
    for start in range(0, len(applied), BATCH):
        chunk = applied[start : start + BATCH]
        encs = Encaissement.objects.bulk_create(
            [
                Encaissement(
                    piece_id=i.piece_id,
                    date=i.date,
                    montant=i.montant,
                    source=source,
                    reference=i.reference[:140],
                    camt_line_id=i.camt_line_id,
                    prelevement=prelevement,
                    cree_par=actor,
                )
                for i in chunk
            ]
        )
        _insert_movements([enc.pk for enc in encs])
    touched = {i.piece_id for i in applied}
    last_day = {i.piece_id: i.date for i in applied}
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk in sorted(touched):
        target = EtatPiece.SOLDEE if reste[pk] == 0 else EtatPiece.PARTIELLE
        groups[(info[pk]["etat"], target)].append(pk)
    # Soldée titres get their reste (0) in the UPDATE that moves them; only partial payments
    # need a value per titre (bulk_update, a CASE per row: kept for the rarer case).
    Piece.objects.bulk_update(
        [
            Piece(pk=pk, reste_a_recouvrer=reste[pk])
            for (_, target), pks in groups.items()
            if target == EtatPiece.PARTIELLE
            for pk in pks
        ],
        ["reste_a_recouvrer"],
        batch_size=500,
    )
    label = dict(Encaissement.Source.choices)[source].lower()
    for (expected, target), pks in groups.items():
        if expected == target:
            PieceEvent.objects.bulk_create(
                [
                    PieceEvent(
                        piece_id=pk,
                        etat=target,
                        actor=actor,
                        message=f"Encaissement ({label}) ; reste {euros(reste[pk])}",
                    )
                    for pk in pks
                ],
                batch_size=BATCH,
            )
            continue
        soldee = target == EtatPiece.SOLDEE
        # Grouped by day so that `date_solde` is the day of the last encaissement.
        by_day: dict[datetime.date, list[int]] = defaultdict(list)
        for pk in pks:
            by_day[last_day[pk]].append(pk)
        for day, day_pks in by_day.items():
            bulk_transition(
                day_pks,
                target,
                domaine=Domaine.RECETTE,
                expected=expected,
                day=day,
                actor=actor,
                message=f"{EtatPiece(target).label} — encaissement ({label})",
                date_field="date_solde" if soldee else None,
                extra={"reste_a_recouvrer": Decimal("0")} if soldee else None,
            )
    return applied


def _insert_movements(encaissement_ids: list[int]) -> None:
    """One positive treasury movement per encaissement, by INSERT … SELECT (see payments)."""
    M, E, P, X = MouvementTresorerie, Encaissement, Piece, Exercice
    marks = ", ".join(["%s"] * len(encaissement_ids))
    sql = (
        # Only quoted names from the models' metadata and %s placeholders.
        f"INSERT INTO {sql_name(M)} ({sql_name(M, 'budget')}, {sql_name(M, 'date')}, {sql_name(M, 'montant')}, "  # noqa: S608
        f"{sql_name(M, 'libelle')}, {sql_name(M, 'encaissement')}) "
        f"SELECT x.{sql_name(X, 'budget')}, e.{sql_name(E, 'date')}, e.{sql_name(E, 'montant')}, "
        f"%s || p.{sql_name(P, 'id_pce')}, e.{sql_name(E, 'id')} "
        f"FROM {sql_name(E)} e JOIN {sql_name(P)} p ON p.{sql_name(P, 'id')} = e.{sql_name(E, 'piece')} "
        f"JOIN {sql_name(X)} x ON x.{sql_name(X, 'id')} = p.{sql_name(P, 'exercice')} "
        f"WHERE e.{sql_name(E, 'id')} IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ["Encaissement titre ", *encaissement_ids])


# --- bank statements ----------------------------------------------------------------------


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
    """Import a camt.053 / camt.054: keep its credit lines, record the matched encaissements."""
    report = sepa.validate_camt(content)
    if not report.valid:
        findings = "; ".join(
            (f"ligne {f.location.line} : " if f.location and f.location.line else "") + f.message
            for f in report.errors[:10]
        )
        raise RecoveryError(f"Le relevé n'est pas un camt.053 / camt.054 valide : {findings}")
    digest = hashlib.sha256(content).hexdigest()
    previous = CamtImport.objects.filter(collectivite=collectivite, fichier__sha256=digest).first()
    if previous is not None:
        raise RecoveryError(
            f"Ce relevé a déjà été importé le {timezone.localtime(previous.cree_le):%d/%m/%Y à %H:%M} "
            f"(« {previous.nom} ») : il n'est pas importé une seconde fois."
        )
    try:
        compte = compte_tresor(collectivite)
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
        if entry.credit and not entry.reversal and entry.status in (None, "BOOK"):
            entries.append(entry)
    with transaction.atomic():
        stored = files.store_bytes(content, media_type="application/xml")
        camt = CamtImport.objects.create(
            collectivite=collectivite,
            fichier=stored,
            nom=filename[:255],
            message=(report.message.name if report.message else "")[:20],
            cree_par=actor,
        )
        index = _index(collectivite)
        lines, matches = [], []
        for entry in entries:
            pk, methode = _match(entry, index)
            if pk is not None and methode != "prelevement":
                index.reste[pk] -= entry.amount
            e2e = next((x for x in entry.end_to_end_ids if x != "NOTPROVIDED"), "")
            lines.append(
                CamtLine(
                    camt=camt,
                    montant=entry.amount,
                    date=entry.booking_date or entry.value_date or timezone.localdate(),
                    reference=(e2e or next(iter(entry.remittance), ""))[:140],
                    debiteur=(entry.debtor_name or "")[:140],
                    iban_debiteur=(entry.debtor_iban or "")[:34],
                    libelle=" ".join(entry.remittance)[:300],
                    piece_id=pk,
                    methode=methode,
                )
            )
            matches.append(methode)
        lines = CamtLine.objects.bulk_create(lines, batch_size=BATCH)
        items = [
            Apply(line.piece_id, line.montant, line.date, line.reference, line.pk)
            for line, methode in zip(lines, matches, strict=True)
            if line.piece_id and methode != "prelevement"
        ]
        applied = apply_encaissements(items, actor=actor, source=Encaissement.Source.RELEVE)
        if len(applied) != len(items):  # pragma: no cover - the index already checked the reste
            raise RecoveryError("Le relevé n'a pas pu être rapproché : recommencez l'import.")
        camt.lignes = len(lines)
        camt.rapprochees = sum(1 for line in lines if line.piece_id)
        camt.save(update_fields=["lignes", "rapprochees"])
        journal.record(
            "helios_releve",
            actor_label=actor,
            obj=camt,
            collectivite=collectivite.pk,
            details={
                "lignes": camt.lignes,
                "rapprochees": camt.rapprochees,
                "encaissements": len(applied),
                "total": str(sum((i.montant for i in applied), Decimal("0.00"))),
                "sha256": digest,
            },
        )
    return camt


def unmatched_lines(collectivites: Iterable[Collectivite] | QuerySet) -> QuerySet[CamtLine]:
    return CamtLine.objects.filter(camt__collectivite__in=collectivites, piece__isnull=True)


def match_line(line: CamtLine, piece: Piece, *, actor: str) -> Encaissement:
    """Match an unmatched statement line to a titre by hand and record the encaissement."""
    with transaction.atomic():
        line = CamtLine.objects.select_for_update().select_related("camt").get(pk=line.pk)
        if line.piece_id is not None:
            raise RecoveryError("Cette ligne de relevé est déjà rapprochée.")
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
        line.methode = "manuel"
        line.save(update_fields=["piece", "methode"])
        CamtImport.objects.filter(pk=line.camt_id).update(rapprochees=F("rapprochees") + 1)
    return enc


# --- direct debits ------------------------------------------------------------------------


@dataclass
class DebitResult:
    run: PrelevementRun | None = None
    count: int = 0
    total: Decimal = Decimal("0.00")
    excluded: list[tuple[Piece, str]] = field(default_factory=list)


def debit_candidates(collectivite: Collectivite) -> QuerySet[Piece]:
    """Due titres carrying a SEPA mandate and not already in a run waiting for settlement."""
    pending = Prelevement.objects.filter(piece_id=OuterRef("pk"), run__regle=False)
    return (
        titres_dus([collectivite])
        .exclude(rum="")
        .filter(date_signature_mandat__isnull=False)
        .filter(~Exists(pending))
    )


def _debit_problem(piece: Piece) -> str | None:
    tiers = piece.tiers
    if tiers is None:
        return "aucun débiteur (tiers) sur le titre"
    iban = tiers.iban.replace(" ", "").upper()
    if not iban:
        return "IBAN du débiteur absent"
    reason = iban_problem(iban)
    if reason:
        return f"IBAN du débiteur invalide ({reason})"
    if tiers.bic and bic_problem(tiers.bic.strip().upper()):
        return "BIC du débiteur invalide"
    return None


def run_direct_debits(
    collectivite: Collectivite,
    date_echeance: datetime.date,
    *,
    actor: str,
    version: str = DEFAULT_DD_VERSION,
) -> DebitResult:
    """One pain.008 collecting the reste à recouvrer of every titre under a SEPA mandate."""
    message = DD_VERSIONS.get(version)
    if message is None:
        raise RecoveryError(f"Version de prélèvement inconnue : {version}.")
    try:
        compte = compte_tresor(collectivite)
    except PaymentError as exc:
        raise RecoveryError(str(exc)) from exc
    if not compte.ics:
        raise RecoveryError(
            "Aucun identifiant créancier SEPA (ICS) n'est configuré sur le compte au Trésor "
            "du poste : les prélèvements ne peuvent pas être émis."
        )
    problem = creditor_id_problem(compte.ics)
    if problem:
        raise RecoveryError(
            f"L'identifiant créancier SEPA (ICS) du poste est invalide ({problem})."
        )
    if message is sepa.PAIN_008_02 and not compte.bic:
        raise RecoveryError("La version 001.02 exige le BIC du compte au Trésor.")
    result = DebitResult()
    with transaction.atomic():
        pieces = list(
            debit_candidates(collectivite)
            .select_related("tiers", "exercice", "bordereau")
            .order_by("pk")
        )
        rums = {p.rum for p in pieces}
        used = set(
            Piece.objects.filter(collectivite=collectivite, rum__in=rums)
            .exclude(sequence_prelevement="")
            .values_list("rum", flat=True)
        )
        kept, debits = [], []
        for piece in pieces:
            reason = _debit_problem(piece)
            if reason:
                result.excluded.append((piece, reason))
                continue
            seq = sepa.SequenceType.RECURRENT if piece.rum in used else sepa.SequenceType.FIRST
            used.add(piece.rum)
            kept.append((piece, seq))
        if not kept:
            return result
        run = PrelevementRun.objects.create(
            collectivite=collectivite,
            date_echeance=date_echeance,
            version=message.name,
            cree_par=actor,
        )
        for piece, seq in kept:
            tiers = piece.tiers
            debits.append(
                sepa.DirectDebit(
                    end_to_end_id=f"P{run.pk}-T{piece.pk}",
                    amount=piece.reste_a_recouvrer,
                    debtor=sepa.Party(
                        name=(tiers.titulaire or f"{tiers.nom} {tiers.prenom}").strip()[:70],
                        iban=tiers.iban.replace(" ", "").upper(),
                        bic=tiers.bic.strip().upper() or None,
                    ),
                    mandate_id=piece.rum,
                    mandate_date=piece.date_signature_mandat,
                    sequence_type=seq,
                    collection_date=date_echeance,
                    remittance=(
                        f"Titre {piece.exercice.annee}/{piece.bordereau.id_bord}/{piece.id_pce} "
                        f"T{piece.id_pce} {' '.join(piece.objet.split())}"
                    )[:140],
                )
            )
        try:
            content = sepa.write_direct_debit(
                sepa.Party(compte.titulaire, compte.iban.replace(" ", ""), compte.bic or None),
                compte.ics,
                debits,
                message=message,
                msg_id=f"PIGP-PRLV-{run.pk}",
                created=timezone.localtime(),
            )
        except sepa.SepaError as exc:
            raise RecoveryError(
                f"Le fichier de prélèvement n'a pas pu être produit : {exc}"
            ) from exc
        stored = files.store_bytes(content, media_type="application/xml")
        total = sum((d.amount for d in debits), Decimal("0.00"))
        run.fichier, run.nombre, run.total = stored, len(debits), total
        run.save(update_fields=["fichier", "nombre", "total"])
        Prelevement.objects.bulk_create(
            [
                Prelevement(
                    run=run,
                    piece=piece,
                    montant=d.amount,
                    reference=d.end_to_end_id,
                    sequence=seq.value,
                )
                for (piece, seq), d in zip(kept, debits, strict=True)
            ],
            batch_size=BATCH,
        )
        for seq in sepa.SequenceType:
            ids = [p.pk for p, s in kept if s is seq]
            for start in range(0, len(ids), BATCH):
                Piece.objects.filter(pk__in=ids[start : start + BATCH]).update(
                    sequence_prelevement=seq.value
                )
        journal.record(
            "helios_prelevements",
            actor_label=actor,
            obj=run,
            collectivite=collectivite.pk,
            details={"titres": len(debits), "total": str(total), "version": message.name},
        )
        result.run, result.count, result.total = run, len(debits), total
    return result


def settle_direct_debits(
    run: PrelevementRun, *, actor: str, day: datetime.date | None = None
) -> int:
    """Mark a direct-debit run settled: record the encaissement of each titre still due."""
    with transaction.atomic():
        run = PrelevementRun.objects.select_for_update().get(pk=run.pk)
        if run.regle:
            raise RecoveryError("Cette campagne de prélèvement est déjà marquée réglée.")
        day = day or run.date_echeance
        rows = list(
            Prelevement.objects.filter(run=run).values(
                "piece_id", "montant", "reference", "piece__reste_a_recouvrer"
            )
        )
        items = [
            Apply(
                r["piece_id"],
                min(r["montant"], r["piece__reste_a_recouvrer"]),
                day,
                r["reference"],
            )
            for r in rows
            if r["piece__reste_a_recouvrer"] > 0
        ]
        applied = apply_encaissements(
            items, actor=actor, source=Encaissement.Source.PRELEVEMENT, prelevement=run
        )
        run.regle = True
        run.save(update_fields=["regle"])
        journal.record(
            "helios_prelevements_regles",
            actor_label=actor,
            obj=run,
            collectivite=run.collectivite_id,
            details={
                "encaissements": len(applied),
                "total": str(sum((i.montant for i in applied), Decimal("0.00"))),
            },
        )
    return len(applied)


# --- recovery stage -----------------------------------------------------------------------


def set_stade(piece: Piece, stade: str, *, actor: str, commentaire: str = "") -> Piece:
    if stade not in StadeRecouvrement.values:
        raise RecoveryError("Stade de recouvrement inconnu.")
    with transaction.atomic():
        locked = Piece.objects.select_for_update().get(pk=piece.pk)
        if locked.domaine != Domaine.RECETTE or locked.etat not in DUE or locked.verrouillee:
            raise RecoveryError(f"Le {_label(locked)} n'est pas en cours de recouvrement.")
        locked.stade = stade
        locked.save(update_fields=["stade", "modifie_le"])
        label = StadeRecouvrement(stade).label
        message = f"Stade de recouvrement : {label}" + (f" — {commentaire}" if commentaire else "")
        PieceEvent.objects.create(piece=locked, etat=locked.etat, actor=actor, message=message)
        journal.record(
            "helios_stade_recouvrement",
            actor_label=actor,
            obj=locked,
            collectivite=locked.collectivite_id,
            details={"stade": stade, "commentaire": commentaire[:300]},
        )
    piece.refresh_from_db()
    return piece


def ageing(day_taken: datetime.date | None, today: datetime.date) -> str:
    if day_taken is None:
        return "—"
    days = (today - day_taken).days
    if days < 30:
        return "moins de 30 jours"
    if days < 90:
        return "30 à 90 jours"
    if days < 365:
        return "3 mois à 1 an"
    return "plus d'un an"


__all__ = [
    "DUE",
    "Apply",
    "DebitResult",
    "RecoveryError",
    "apply_encaissements",
    "debit_candidates",
    "import_camt",
    "match_line",
    "record_encaissement",
    "run_direct_debits",
    "set_stade",
    "settle_direct_debits",
    "titres_dus",
    "unmatched_lines",
]
