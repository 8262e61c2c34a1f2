"""A large, realistic ledger for load tests: `manage.py seed_volume`.

Several collectivités of one seed poste, two budgets each, three exercices (the oldest closed),
mandats and titres in realistic states, tiers reused by many pièces, payments grouped in runs
with their EndToEndId, encaissements, rejections with their motifs; invoice numbers and the
Trésor account's movements and openings (`volume_money`). Deterministic for a seed.

Rows are written with explicit ids, in one transaction, by batches: `executemany` on SQLite,
COPY on PostgreSQL (whose sequences are reset at the end). Django's `auto_now_add` dates are
written as generated (a pièce received a year ago says so), which `bulk_create` would not do.
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max, Model
from django.utils import timezone
from stdnum import luhn

from pigp.core.models import Budget, Collectivite, PosteComptable
from pigp.core.models.files import StoredFile
from pigp.helios import versions
from pigp.helios.models import (
    Bordereau,
    Domaine,
    Encaissement,
    EtatPiece,
    Exercice,
    Ligne,
    Paiement,
    PaymentRun,
    Piece,
    PieceEvent,
    StadeRecouvrement,
    Tiers,
)
from pigp.helios.motifs import motifs_for
from pigp.helios.signals import pieces_received
from pigp.helios.volume_money import Invoices, Treasury
from pigp.passerelle.models import Flux

SEED_CODIQUE = "099999"
SEED_ACTOR = "seed_volume"
PER_BORDEREAU = 500
PIECES_PER_TIERS = 6

E = EtatPiece
CENT = Decimal("0.01")

_COMPANIES = [
    "Bâtiments", "Travaux publics", "Fournitures", "Informatique", "Restauration", "Transports",
    "Espaces verts", "Nettoyage", "Électricité", "Plomberie", "Imprimerie", "Conseil",
]  # fmt: skip
_SUFFIXES = ["SARL", "SAS", "SA", "et fils", "Services", "Occitanie", "du Sud", "Réunis"]
_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
]  # fmt: skip
_VILLES = [("31600", "Muret"), ("31000", "Toulouse"), ("81000", "Albi"), ("31120", "Portet")]
_OBJETS_DEP = [
    "Fournitures scolaires", "Entretien de la voirie", "Repas de la cantine", "Électricité",
    "Maintenance informatique", "Travaux de la salle des fêtes", "Transport scolaire",
    "Assurance des bâtiments", "Location de matériel", "Subvention aux associations",
]  # fmt: skip
_OBJETS_REC = [
    "Cantine scolaire", "Garderie périscolaire", "Location de salle", "Droits de place",
    "Eau et assainissement", "Concession funéraire", "Redevance d'occupation",
]  # fmt: skip
_NATURES_DEP = ["60632", "61521", "6042", "60612", "6156", "2313", "6247", "616", "6135", "6574"]
_NATURES_REC = ["7067", "7067", "752", "7336", "70611", "70311", "70323"]
_FONCTIONS = ["020", "212", "251", "822", "411", "33"]


class SeedError(Exception):
    """The database cannot be seeded as asked; the message says why, in French."""


@dataclass
class Progress:
    report: Callable[[str], None] = lambda _line: None
    counts: dict[str, int] = field(default_factory=dict)


def siret(n: int) -> str:
    base = f"{n:013d}"
    return base + luhn.calc_check_digit(base)


def iban_fr(n: int) -> str:
    bban = f"30004{n % 100000:05d}{n:011d}00"  # bank, branch, account, key: 23 characters
    check = 98 - int(bban + "152700") % 97  # F=15 R=27, then 00
    return f"FR{check:02d}{bban}"


# Fields whose values the database drivers do not take as they are (aware datetimes on SQLite,
# JSON, UUID on SQLite): Django prepares them. Strings, numbers, decimals and dates go as they are.
_PREPARED = {"DateTimeField", "JSONField", "UUIDField", "DurationField", "BinaryField"}


class Sink:
    """Pending rows by model, written in batches with explicit ids (see the module's docstring)."""

    def __init__(self, batch: int) -> None:
        self.batch = batch
        self.pending: dict[type[Model], list[Model]] = {}
        self.next_id: dict[type[Model], int] = {}
        self.written: dict[type[Model], int] = {}
        self.copy = connection.vendor == "postgresql"

    def deferred(self, model: type[Model], **values: Any) -> Any:
        """An object with its id, written only when handed to `keep` (its totals come later)."""
        if model not in self.next_id:
            self.next_id[model] = (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1
        obj = model(pk=self.next_id[model], **values)
        self.next_id[model] += 1
        return obj

    def keep(self, model: type[Model], obj: Model) -> None:
        rows = self.pending.setdefault(model, [])
        rows.append(obj)
        if len(rows) >= self.batch:
            self.flush(model)

    def new(self, model: type[Model], **values: Any) -> Any:
        obj = self.deferred(model, **values)
        self.keep(model, obj)
        return obj

    def flush(self, model: type[Model]) -> None:
        objs = self.pending.pop(model, [])
        if not objs:
            return
        fields = list(model._meta.concrete_fields)
        now = timezone.now()
        converted = [i for i, f in enumerate(fields) if f.get_internal_type() in _PREPARED]
        stamped = [
            i
            for i, f in enumerate(fields)
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        ]
        rows = []
        for obj in objs:
            row = [getattr(obj, f.attname) for f in fields]
            for i in stamped:
                if row[i] is None:
                    row[i] = now
            for i in converted:
                row[i] = fields[i].get_db_prep_save(row[i], connection)
            rows.append(row)
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(
            connection.ops.quote_name(f.get_attname_column()[1] or "") for f in fields
        )
        with connection.cursor() as cursor:
            if self.copy:
                raw = cursor.cursor  # psycopg's own cursor
                with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(fields))
                # Table and columns come from the models, the values are parameters.
                insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
                cursor.executemany(insert, rows)
        self.written[model] = self.written.get(model, 0) + len(rows)

    def flush_all(self) -> None:
        for model in list(self.pending):
            self.flush(model)

    def reset_sequences(self) -> None:
        if self.copy:
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), list(self.next_id)):
                    cursor.execute(sql)


@dataclass
class _Run:
    run: PaymentRun
    nombre: int = 0
    total: Decimal = Decimal(0)


@dataclass
class _Bordereau:
    bordereau: Bordereau
    flux: Flux
    nombre: int = 0
    ht: Decimal = Decimal(0)
    tva: Decimal = Decimal(0)


@dataclass
class Plan:
    mandats: int
    titres: int
    collectivites: int = 4
    seed: int = 1
    batch: int = 5_000
    today: datetime.date = field(default_factory=timezone.localdate)


def check_database(force: bool) -> None:
    if PosteComptable.objects.filter(codique=SEED_CODIQUE).exists():
        raise SeedError("Le jeu de volume est déjà présent dans cette base.")
    foreign = Piece.objects.exclude(collectivite__poste__codique=SEED_CODIQUE).exists()
    if foreign and not force:
        raise SeedError(
            "La base contient des pièces qui ne viennent pas du jeu de volume : "
            "refus d'y ajouter un million de lignes (--force pour passer outre)."
        )


def seed(plan: Plan, progress: Progress | None = None) -> dict[str, int]:
    """Fill the database as `plan` says; returns the rows written by table."""
    progress = progress or Progress()
    with transaction.atomic():
        seeder = _Seeder(plan, progress)
        seeder.run()
        versions.touch(
            Exercice.objects.filter(budget__collectivite__poste__codique=SEED_CODIQUE).values_list(
                "pk", flat=True
            )
        )
        announce(plan.batch)
    return {m._meta.db_table: n for m, n in seeder.sink.written.items()}


def announce(batch: int) -> None:
    """`pieces_received` (with `lived=True`) for every seeded pièce, one per bordereau chunk of
    at most `batch` pièces, in the seed's transaction; nothing is read when nobody listens."""
    if not pieces_received.has_listeners(Piece):
        return
    rows = (
        Piece.objects.filter(collectivite__poste__codique=SEED_CODIQUE)
        .order_by("bordereau_id", "pk")
        .values_list("pk", "bordereau_id", "collectivite_id", "domaine", "bordereau__flux_id")
    )
    current: tuple | None = None
    ids: list[int] = []

    def send() -> None:
        if current and ids:
            bordereau_id, collectivite_id, domaine, flux_id = current
            pieces_received.send(
                sender=Piece,
                piece_ids=list(ids),
                collectivite_id=collectivite_id,
                domaine=domaine,
                bordereau_id=bordereau_id,
                flux_id=flux_id,
                lived=True,
            )
        ids.clear()

    for pk, *key in rows.iterator(chunk_size=batch):
        if tuple(key) != current or len(ids) >= batch:
            send()
            current = tuple(key)
        ids.append(pk)
    send()


def _shares(total: int, parts: int) -> list[int]:
    """`total` split over `parts` collectivités of decreasing size (1, 1/2, 1/3…)."""
    weights = [1 / (i + 1) for i in range(parts)]
    out = [int(total * w / sum(weights)) for w in weights]
    out[0] += total - sum(out)
    return out


class _Seeder:
    def __init__(self, plan: Plan, progress: Progress) -> None:
        self.plan = plan
        self.progress = progress
        self.rng = random.Random(plan.seed)  # noqa: S311 - reproducible test data, no secret
        self.sink = Sink(plan.batch)
        self.runs: dict[tuple[int, datetime.date], _Run] = {}
        self.done = 0
        self.motifs = {d: sorted(motifs_for(d)) for d in Domaine.values}
        self.invoices = Invoices(self.sink, plan.seed)
        self.treasury = Treasury(self.sink)
        self.exercices: list[Exercice] = []

    def run(self) -> None:
        plan = self.plan
        poste = PosteComptable.objects.create(codique=SEED_CODIQUE, nom="SGC du jeu de volume")
        years = [plan.today.year - 2, plan.today.year - 1, plan.today.year]
        mandats = _shares(plan.mandats, plan.collectivites)
        titres = _shares(plan.titres, plan.collectivites)
        for i in range(plan.collectivites):
            coll = Collectivite.objects.create(
                siret=siret(2_100_000_000_000 + i),
                nom=f"Commune de Volume-{i + 1}",
                nature="commune",
                poste=poste,
                departement="31",
            )
            budgets = [
                Budget.objects.create(
                    collectivite=coll, cod_col=f"{i + 1:03d}", cod_bud=code, libelle=label
                )
                for code, label in (("00", "Budget principal"), ("01", "Budget annexe de l'eau"))
            ]
            exercices = [
                Exercice.objects.create(budget=b, annee=y, cloture=y == years[0])
                for b in budgets
                for y in years
            ]
            self.exercices += exercices
            tiers = self._tiers(coll, mandats[i] + titres[i])
            self._pieces(coll, exercices, tiers, Domaine.DEPENSE, mandats[i])
            self._pieces(coll, exercices, tiers, Domaine.RECETTE, titres[i])
        for r in self.runs.values():
            r.run.nombre, r.run.total = r.nombre, r.total
            self.sink.keep(PaymentRun, r.run)
        self.treasury.openings(self.exercices)
        self.sink.flush_all()
        self.sink.reset_sequences()

    def _tiers(self, coll: Collectivite, pieces: int) -> list[Tiers]:
        rng, out = self.rng, []
        for n in range(max(1, pieces // PIECES_PER_TIERS)):
            company = rng.random() < 0.6
            cp, ville = rng.choice(_VILLES)
            ident = 3_000_000_000_000 + coll.pk * 10_000_000 + n
            nom = (
                f"{rng.choice(_COMPANIES)} {rng.choice(_NAMES)} {rng.choice(_SUFFIXES)}"
                if company
                else rng.choice(_NAMES).upper()
            )
            out.append(
                self.sink.new(
                    Tiers,
                    collectivite=coll,
                    cle=f"VOL{n}",
                    id_tiers=siret(ident) if company else "",
                    nat_id_tiers="01" if company else "",
                    categorie="50" if company else "01",
                    nom=nom,
                    prenom="" if company else rng.choice(["Anne", "Paul", "Marie", "Luc"]),
                    adresse=f"{rng.randint(1, 120)} rue de la République",
                    code_postal=cp,
                    ville=ville,
                    iban=iban_fr(ident),
                    bic="PSSTFRPPTOU",
                    titulaire=nom.upper(),
                )
            )
        return out

    def _pieces(
        self,
        coll: Collectivite,
        exercices: list[Exercice],
        tiers: list[Tiers],
        domaine: str,
        count: int,
    ) -> None:
        rng, today = self.rng, self.plan.today
        bordereaux: dict[int, _Bordereau] = {}
        numbers: dict[int, int] = {}
        # The budget annexe holds a fifth; each year a third (the current one as far as today).
        for n in range(count):
            exercice = exercices[(3 if rng.random() < 0.2 else 0) + n % 3]
            start = datetime.date(exercice.annee, 1, 2)
            end = min(datetime.date(exercice.annee, 12, 31), today - datetime.timedelta(days=1))
            emission = start + datetime.timedelta(days=rng.randint(0, max(0, (end - start).days)))
            current = bordereaux.get(exercice.pk)
            if current is None or current.nombre >= PER_BORDEREAU:
                if current is not None:
                    self._close(current)
                current = bordereaux[exercice.pk] = self._bordereau(
                    coll, exercice, domaine, emission
                )
            numbers[exercice.pk] = numbers.get(exercice.pk, 0) + 1
            # Some tiers come back very often (the canteen's supplier), most rarely.
            who = tiers[int(len(tiers) * rng.random() ** 2)]
            self._piece(coll, exercice, current, who, domaine, numbers[exercice.pk], emission)
            if domaine == Domaine.DEPENSE:  # the mandat `_piece` just numbered
                self.invoices.add(coll, exercice.annee, who, self.sink.next_id[Piece] - 1)
            self.done += 1
            if self.done % 100_000 == 0:
                self.progress.report(f"{self.done} pièces écrites")
        for b in bordereaux.values():
            self._close(b)

    def _bordereau(
        self, coll: Collectivite, exercice: Exercice, domaine: str, emission: datetime.date
    ) -> _Bordereau:
        number = self.sink.next_id.get(Bordereau, 0)
        stored = self.sink.new(
            StoredFile,
            sha256=f"{coll.pk:08x}{exercice.pk:08x}{number:048x}",
            size=1_000_000,
            media_type="application/xml",
            storage_name=f"volume/{coll.pk}/{exercice.pk}/{number}",
        )
        received = _at(emission + datetime.timedelta(days=1))
        flux = self.sink.deferred(
            Flux,
            collectivite=coll,
            budget_id=exercice.budget_id,
            kind="pes_aller",
            canal="api",
            original_name=f"PES_VOLUME_{number}.xml",
            nom_fic=f"PES_VOLUME_{number}",
            fichier=stored,
            statut="acquitte",
            acquit_total=True,
            integration="integree",
            integrated_at=received,
            created_at=received,
            status_changed_at=received,
        )
        bordereau = self.sink.deferred(
            Bordereau,
            exercice=exercice,
            flux=flux,
            domaine=domaine,
            id_bord=str(number),
            typ_bord="01",
            date_emission=emission,
            recu_le=received,
        )
        return _Bordereau(bordereau, flux)

    def _close(self, b: _Bordereau) -> None:
        b.bordereau.nbr_pce, b.bordereau.mt_ht, b.bordereau.mt_tva = b.nombre, b.ht, b.tva
        b.flux.summary = {"pieces": b.nombre}
        self.sink.keep(Flux, b.flux)
        self.sink.keep(Bordereau, b.bordereau)

    def _piece(
        self,
        coll: Collectivite,
        exercice: Exercice,
        b: _Bordereau,
        tiers: Tiers,
        domaine: str,
        number: int,
        emission: datetime.date,
    ) -> None:
        rng, today = self.rng, self.plan.today
        ttc = min(Decimal(math.exp(rng.gauss(6.5, 1.5))), Decimal(2_000_000)).quantize(CENT)
        ht = (ttc / Decimal("1.2")).quantize(CENT)
        # Received a few days after its emission, never after today.
        received = min(emission + datetime.timedelta(days=rng.randint(0, 3)), today)
        piece = self.sink.deferred(
            Piece,
            bordereau=b.bordereau,
            exercice=exercice,
            collectivite=coll,
            domaine=domaine,
            id_pce=str(number),
            typ_pce="01",
            nat_pce="01",
            objet=rng.choice(_OBJETS_DEP if domaine == Domaine.DEPENSE else _OBJETS_REC),
            tiers=tiers,
            mt_ht=ht,
            mt_tva=ttc - ht,
            mt_ttc=ttc,
            mode_reglement="01" if domaine == Domaine.DEPENSE else "",
            date_emission=emission,
            date_reception=_at(received),
            date_echeance=received + datetime.timedelta(days=30),
            verrouillee=exercice.cloture,
        )
        encaissements: list[tuple[datetime.date, Decimal]] = []
        if domaine == Domaine.DEPENSE:
            self._mandat_life(piece, received, today)
        else:
            self._titre_life(piece, received, today)
            encaissements = self._recovered(piece)
        dates = (received, piece.date_paiement, piece.date_solde, piece.date_rejet)
        piece.modifie_le = _at(min(max(d for d in dates if d), today))
        self.sink.keep(Piece, piece)
        b.nombre, b.ht, b.tva = b.nombre + 1, b.ht + ht, b.tva + ttc - ht
        natures = _NATURES_DEP if domaine == Domaine.DEPENSE else _NATURES_REC
        self.sink.new(
            Ligne,
            piece_id=piece.pk,
            id_ligne="1",
            nature=rng.choice(natures),
            fonction=rng.choice(_FONCTIONS),
            libelle=piece.objet,
            mt_ht=ht,
            mt_tva=ttc - ht,
        )
        if piece.etat == E.REJETEE:
            self.sink.new(
                PieceEvent,
                piece_id=piece.pk,
                etat=E.REJETEE,
                at=_at(piece.date_rejet),
                actor=SEED_ACTOR,
                message=piece.motif_commentaire,
            )
        if piece.date_paiement and domaine == Domaine.DEPENSE:
            self._paiement(coll, piece)
        source = rng.choice(list(Encaissement.Source))
        for day, amount in encaissements:
            encaissement = self.sink.new(
                Encaissement,
                piece_id=piece.pk,
                date=day,
                montant=amount,
                source=source,
                reference=f"TIT{piece.id_pce}",
                cree_le=_at(day),
                cree_par=SEED_ACTOR,
            )
            self.treasury.recovered(exercice.budget_id, encaissement, piece.id_pce)

    def _mandat_life(self, p: Piece, received: datetime.date, today: datetime.date) -> None:
        rng = self.rng
        roll = rng.random()
        age = (today - received).days
        if age < 5 and roll < 0.7:
            p.etat = E.RECUE
            return
        if roll < 0.04:
            self._reject(p, received)
            return
        if not p.verrouillee and roll < 0.06:
            p.etat, p.date_instance = E.EN_INSTANCE, received + datetime.timedelta(days=2)
            return
        p.date_prise_en_charge = received + datetime.timedelta(days=rng.randint(1, 10))
        # Most mandats are paid within the legal delay, some well beyond it.
        paid = p.date_prise_en_charge + datetime.timedelta(
            days=int(rng.expovariate(1 / 12)) + rng.randint(1, 5)
        )
        paid = _pay_day(paid)
        if p.verrouillee or (paid < today and roll < 0.97):
            p.etat, p.date_paiement = E.PAYEE, min(paid, today - datetime.timedelta(days=1))
            p.delai_paiement = max((p.date_paiement - received).days, 0)
        else:
            p.etat = E.PRISE_EN_CHARGE

    def _titre_life(self, p: Piece, received: datetime.date, today: datetime.date) -> None:
        rng = self.rng
        roll = rng.random()
        if (today - received).days < 5 and roll < 0.7:
            p.etat = E.RECUE
            return
        if roll < 0.03:
            self._reject(p, received)
            return
        p.date_prise_en_charge = received + datetime.timedelta(days=rng.randint(1, 10))
        p.reste_a_recouvrer = p.mt_ttc
        if roll < 0.35 and not p.verrouillee:
            p.etat = E.PRISE_EN_CHARGE
        elif roll < 0.5:
            p.etat = E.PARTIELLE
        else:
            p.etat = E.SOLDEE
        age = (today - p.date_prise_en_charge).days
        if p.etat != E.SOLDEE:
            stade, after = (
                (StadeRecouvrement.AMIABLE, 0)
                if age < 60
                else (StadeRecouvrement.RELANCE, 60)
                if age < 120
                else (StadeRecouvrement.MISE_EN_DEMEURE, 120)
                if age < 240
                else (StadeRecouvrement.POURSUITES, 240)
            )
            p.stade = stade
            p.date_stade = p.date_prise_en_charge + datetime.timedelta(days=after)

    def _reject(self, p: Piece, received: datetime.date) -> None:
        p.etat, p.date_rejet = (
            E.REJETEE,
            min(received + datetime.timedelta(days=self.rng.randint(2, 15)), self.plan.today),
        )
        p.motif_code = self.rng.choice(self.motifs[p.domaine])
        p.motif_commentaire = "Pièce justificative absente ou incohérente avec le montant."

    def _paiement(self, coll: Collectivite, p: Piece) -> None:
        assert p.date_paiement is not None
        key = (coll.pk, p.date_paiement)
        r = self.runs.get(key)
        if r is None:
            msg = f"VOL-{coll.pk}-{p.date_paiement:%Y%m%d}"
            r = self.runs[key] = _Run(
                self.sink.deferred(
                    PaymentRun,
                    collectivite=coll,
                    date_execution=p.date_paiement,
                    version="pain.001.001.03",
                    cree_le=_at(p.date_paiement - datetime.timedelta(days=1)),
                    cree_par=SEED_ACTOR,
                    msg_id=msg,
                    pmt_inf_id=f"{msg}-1",
                )
            )
        r.nombre, r.total = r.nombre + 1, r.total + p.mt_ttc
        assert p.tiers is not None
        paiement = self.sink.new(
            Paiement,
            piece_id=p.pk,
            run=r.run,
            date=p.date_paiement,
            montant=p.mt_ttc,
            reference=f"VOL{p.pk:012d}",  # the EndToEndId
            iban=p.tiers.iban,
            cree_le=_at(p.date_paiement - datetime.timedelta(days=1)),
        )
        self.treasury.paid(p.exercice.budget_id, paiement)

    def _recovered(self, p: Piece) -> list[tuple[datetime.date, Decimal]]:
        """The titre's encaissements (date, amount); sets its reste à recouvrer and solde."""
        if p.etat not in (E.PARTIELLE, E.SOLDEE):
            return []
        assert p.date_prise_en_charge is not None
        rng = self.rng
        if p.etat == E.PARTIELLE:
            parts = [(p.mt_ttc * Decimal(rng.randint(20, 80)) / 100).quantize(CENT)]
        elif rng.random() < 0.2:
            first = (p.mt_ttc / 2).quantize(CENT)
            parts = [first, p.mt_ttc - first]
        else:
            parts = [p.mt_ttc]
        out, day = [], p.date_prise_en_charge
        for amount in parts:
            day = min(day + datetime.timedelta(days=rng.randint(5, 40)), self.plan.today)
            out.append((day, amount))
        p.reste_a_recouvrer = p.mt_ttc - sum(parts, Decimal(0))
        if p.etat == E.SOLDEE:
            p.date_solde = day
        return out


def _pay_day(day: datetime.date) -> datetime.date:
    """Payment runs go out on Tuesdays and Fridays: the first such day from `day`."""
    return next(
        d for d in (day + datetime.timedelta(days=k) for k in range(7)) if d.weekday() in (1, 4)
    )


def _at(day: datetime.date | None) -> datetime.datetime:
    assert day is not None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 30)))
