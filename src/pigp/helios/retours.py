"""PES_Retour: what the comptable tells the ordonnateur about its mandats and titres.

Per budget and domaine, a PES_Retour carries what changed since the last one (the `jusqua`
of the previous `RetourEmis`): pièces whose history moved (a `PieceEvent`), payments and
recoveries recorded in that window. Nothing changed → no file. The file goes to the
collectivité's mailbox; the original PES flows concerned show "information disponible".

Run daily by cron (`manage.py helios_retours`), or on demand from /helios/retours/.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from pigp.core import journal
from pigp.core.models import Budget
from pigp.formats.pes.retour import (
    ActeRecouvrement,
    Contentieux,
    LineState,
    Payment,
    PieceState,
    RetourError,
    RetourHeader,
    build_retour_depense,
    build_retour_recette,
    retour_filename,
)
from pigp.helios.models import (
    Domaine,
    Encaissement,
    EtatPiece,
    Paiement,
    Piece,
    PieceEvent,
    RetourEmis,
    StadeRecouvrement,
)
from pigp.passerelle import mailbox
from pigp.passerelle.history import set_status
from pigp.passerelle.models import Flux, KindFlux, StatutFlux

log = logging.getLogger(__name__)

E = EtatPiece
ZERO = Decimal("0.00")
BEGINNING = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
CHUNK = 2000

# Our state -> (EtatPce of the pièce, EtatLigPce of its lines), per domaine.
# Dépense EtatLigPce: 01 pris en charge, 02 rejeté, 16 mis en instance; EtatPce 05 = soldé (payé).
# Recette EtatLigPce: 01 rejeté, 03 mis en instance, 04 non soldée, 05 soldée; a titre
# recovered partly or wholly stays "02 prise en charge" at pièce level (05 means annulé).
CODES: dict[str, dict[str, tuple[str, str]]] = {
    Domaine.DEPENSE: {
        E.EN_INSTANCE: ("01", "16"),
        E.PRISE_EN_CHARGE: ("02", "01"),
        E.REJETEE: ("04", "02"),
        E.PAYEE: ("05", "01"),
    },
    Domaine.RECETTE: {
        E.EN_INSTANCE: ("01", "03"),
        E.PRISE_EN_CHARGE: ("02", "04"),
        E.PARTIELLE: ("02", "04"),
        E.SOLDEE: ("02", "05"),
        E.REJETEE: ("04", "01"),
    },
}
ORG_EMA: dict[str, str] = {
    Domaine.DEPENSE: "01",
    Domaine.RECETTE: "02",
}  # paiement réel / encaissement
# Titres taken in charge carry InfoContentieux (taken in charge, still due)…
IN_RECOVERY = (E.PRISE_EN_CHARGE, E.PARTIELLE, E.SOLDEE)
# …and, once a stage is set, InfoAmiableContentieux: our stage -> EtapePce (TEtapePce of
# CommunRecette_Retour.xsd v5.17). « Poursuites » does not say which act: 02 (commandement),
# the first act of forced recovery in the list, stands for it.
ETAPE_PCE: dict[str, str] = {
    StadeRecouvrement.AMIABLE: "00",  # avis des sommes à payer
    StadeRecouvrement.RELANCE: "01",  # lettre de rappel ou de relance
    StadeRecouvrement.MISE_EN_DEMEURE: "03",
    StadeRecouvrement.POURSUITES: "02",
}


@dataclass(frozen=True)
class _Money:
    date: datetime.date
    amount: Decimal


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _spread(
    lines: list[tuple[int, Decimal, Decimal | None]], moneys: list[_Money], org_ema: str
) -> dict[int, list[Payment]]:
    """Share each payment over the lines in order (each line up to its TTC), the rest on the last."""
    per_line: dict[int, list[Payment]] = defaultdict(list)
    room = [ht + (tva or ZERO) for _id, ht, tva in lines]
    for money in sorted(moneys, key=lambda m: m.date):
        left = money.amount
        for i, (id_ligne, _ht, _tva) in enumerate(lines):
            if left <= 0:
                break
            last = i == len(lines) - 1
            part = left if last else min(left, room[i])
            if part > 0:
                per_line[id_ligne].append(Payment(money.date, part, org_ema))
                room[i] -= part
                left -= part
    return per_line


def _due_per_line(lines: list[tuple[int, Decimal, Decimal | None]], piece: Piece) -> list[Decimal]:
    """What is still due on each line: what was recovered is spread in line order (as the
    encaissements are, see `_spread`); a soldée titre owes nothing."""
    if piece.etat == E.SOLDEE:
        return [ZERO for _line in lines]
    ttc = [ht + (tva or ZERO) for _id, ht, tva in lines]
    recovered = max(sum(ttc, ZERO) - piece.reste_a_recouvrer, ZERO)
    due = []
    for amount in ttc:
        part = min(recovered, amount)
        recovered -= part
        due.append(amount - part)
    return due


def _recovery_follow_up(
    piece: Piece, lines: list[tuple[int, Decimal, Decimal | None]]
) -> list[tuple[Contentieux | None, ActeRecouvrement | None]]:
    if piece.domaine != Domaine.RECETTE or piece.etat not in IN_RECOVERY:
        return [(None, None) for _line in lines]
    etape = ETAPE_PCE.get(piece.stade) if piece.stade else None
    acte = (
        ActeRecouvrement(etape, piece.date_stade)
        if etape is not None and piece.date_stade is not None
        else None
    )
    return [
        (Contentieux(mt_ctx_tot=ht + (tva or ZERO), sld_princ=due), acte)
        for (_id, ht, tva), due in zip(lines, _due_per_line(lines, piece), strict=True)
    ]


def piece_state(piece: Piece, moneys: list[_Money], org_ema: str) -> PieceState | None:
    """The PES_Retour view of one pièce; None if it cannot be restituted (not decided yet…)."""
    codes = CODES[piece.domaine].get(piece.etat)
    id_bord, id_pce = _int(piece.bordereau.id_bord), _int(piece.id_pce)
    if codes is None or id_bord is None or id_pce is None:
        return None
    etat_pce, etat_lig = codes
    lines: list[tuple[int, Decimal, Decimal | None]] = []
    for n, ligne in enumerate(piece.lignes.all(), start=1):
        if ligne.mt_ht > 0:
            lines.append(
                (_int(ligne.id_ligne) or n, ligne.mt_ht, ligne.mt_tva if ligne.mt_tva > 0 else None)
            )
    if not lines:
        if piece.mt_ht <= 0:
            return None
        lines = [(1, piece.mt_ht, piece.mt_tva if piece.mt_tva > 0 else None)]
    decided_with_motif = piece.etat in (E.REJETEE, E.EN_INSTANCE)
    motif = (piece.motif_code or None) if decided_with_motif else None
    comment = (piece.motif_commentaire or None) if motif else None
    paid = _spread(lines, [m for m in moneys if m.amount > 0], org_ema)
    follow_up = _recovery_follow_up(piece, lines)
    return PieceState(
        exercice=piece.exercice.annee,
        id_bord=id_bord,
        id_pce=id_pce,
        etat=etat_pce,
        typ_bord=piece.bordereau.typ_bord or "01",
        typ_pce=piece.typ_pce or "01",
        nat_pce=piece.nat_pce or "01",
        objet=piece.objet or None,
        date_pec=piece.date_prise_en_charge,
        obs_etat=motif,
        commentaire=comment,
        date_rejet=piece.date_rejet if piece.etat == E.REJETEE else None,
        date_instance=piece.date_instance if piece.etat == E.EN_INSTANCE else None,
        lines=tuple(
            LineState(
                id_ligne,
                etat_lig,
                ht,
                mt_tva=tva,
                obs_etat=motif,
                payments=tuple(paid.get(id_ligne, ())),
                contentieux=contentieux,
                acte=acte,
            )
            for (id_ligne, ht, tva), (contentieux, acte) in zip(lines, follow_up, strict=True)
        ),
    )


def _changed_ids(
    budget: Budget, domaine: str, depuis: datetime.datetime, jusqua: datetime.datetime
) -> set[int]:
    scope = {"piece__exercice__budget": budget, "piece__domaine": domaine}
    ids = set(
        PieceEvent.objects.filter(**scope, at__gt=depuis, at__lte=jusqua)
        .exclude(etat=E.RECUE)
        .values_list("piece_id", flat=True)
    )
    money = Paiement if domaine == Domaine.DEPENSE else Encaissement
    ids |= set(
        money.objects.filter(**scope, cree_le__gt=depuis, cree_le__lte=jusqua).values_list(
            "piece_id", flat=True
        )
    )
    return ids


def _states(
    budget: Budget,
    domaine: str,
    ids: set[int],
    depuis: datetime.datetime,
    jusqua: datetime.datetime,
) -> Iterator[tuple[PieceState, int]]:
    """(PieceState, flux_id) of the changed pièces, in bordereau order, chunk by chunk."""
    money = Paiement if domaine == Domaine.DEPENSE else Encaissement
    org_ema = ORG_EMA[domaine]
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        moneys: dict[int, list[_Money]] = defaultdict(list)
        for piece_id, date, amount in money.objects.filter(
            piece_id__in=chunk, cree_le__gt=depuis, cree_le__lte=jusqua
        ).values_list("piece_id", "date", "montant"):
            moneys[piece_id].append(_Money(date, amount))
        pieces = (
            Piece.objects.filter(pk__in=chunk)
            .select_related("bordereau", "exercice")
            .prefetch_related("lignes")
            .order_by("exercice__annee", "bordereau_id", "id")
        )
        for piece in pieces:
            state = piece_state(piece, moneys.get(piece.pk, []), org_ema)
            if state is None:
                log.info("pièce %s non restituable (état %s)", piece.pk, piece.etat)
                continue
            yield state, piece.bordereau.flux_id


def _unique_name(domaine: str, header: RetourHeader, when: datetime.datetime) -> tuple[str, int]:
    seq = 0
    while True:
        name = retour_filename(domaine, header.id_post, header.cod_col, header.cod_bud, when, seq)  # type: ignore[arg-type]
        if not RetourEmis.objects.filter(nom=name).exists():
            return name, seq
        seq += 1


def generate(
    budget: Budget, domaine: str, *, now: datetime.datetime | None = None, actor: str = "helios"
) -> RetourEmis | None:
    """Build and deliver the PES_Retour of one budget and domaine; None if nothing changed."""
    now = now or timezone.now()
    with transaction.atomic():
        # One generation at a time per budget (a row lock on PostgreSQL).
        budget = (
            Budget.objects.select_for_update()
            .select_related("collectivite", "collectivite__poste")
            .get(pk=budget.pk)
        )
        last = RetourEmis.objects.filter(budget=budget, domaine=domaine).order_by("-jusqua").first()
        depuis = last.jusqua if last else BEGINNING
        if depuis >= now:
            return None
        ids = _changed_ids(budget, domaine, depuis, now)
        if not ids:
            return None
        coll = budget.collectivite
        header = RetourHeader(
            id_post=coll.poste.codique,
            id_coll=coll.siret,
            cod_col=budget.cod_col,
            cod_bud=budget.cod_bud,
            libelle_poste=coll.poste.nom,
        )
        states: list[PieceState] = []
        flux_count: dict[int, int] = defaultdict(int)
        for state, flux_id in _states(budget, domaine, ids, depuis, now):
            states.append(state)
            flux_count[flux_id] += 1
        if not states:
            return None
        when = timezone.localtime(now)
        name, seq = _unique_name(domaine, header, when)
        build = build_retour_depense if domaine == Domaine.DEPENSE else build_retour_recette
        try:
            content = build(states, header, when=when, nature="P", seq=seq)
        except RetourError:
            log.exception("PES_Retour %s impossible à écrire", name)
            raise
        flux_ids = sorted(flux_count, key=lambda f: (-flux_count[f], f))
        related = Flux.objects.filter(pk=flux_ids[0]).first()
        item = mailbox.deliver(coll, KindFlux.PES_RETOUR, name, content, related_flux=related)
        retour = RetourEmis.objects.create(
            budget=budget,
            domaine=domaine,
            nom=name,
            mailbox_item=item,
            depuis=depuis,
            jusqua=now,
            pieces=len(states),
        )
        for flux in Flux.objects.filter(pk__in=flux_ids, statut=StatutFlux.ACQUITTE):
            set_status(
                flux,
                StatutFlux.INFORMATION,
                f"Information disponible : le comptable a renvoyé l'état des pièces ({name}).",
                actor="helios",
            )
        journal.record(
            "helios_retour_emis",
            actor_label=actor,
            obj=retour,
            collectivite=coll,
            details={"nom": name, "domaine": domaine, "pieces": len(states)},
        )
    return retour


def generate_for_budget(
    budget: Budget, *, now: datetime.datetime | None = None, actor: str = "helios"
) -> list[RetourEmis]:
    now = now or timezone.now()
    made = []
    for domaine in (Domaine.DEPENSE, Domaine.RECETTE):
        retour = generate(budget, domaine, now=now, actor=actor)
        if retour is not None:
            made.append(retour)
    return made


def generate_all(
    budgets: Iterable[Budget] | None = None, *, actor: str = "helios"
) -> list[RetourEmis]:
    now = timezone.now()
    if budgets is None:
        budgets = Budget.objects.filter(exercices__isnull=False).distinct().order_by("pk")
    made = []
    for budget in budgets:
        made += generate_for_budget(budget, now=now, actor=actor)
    return made


@task()
def generer_retours(budget_id: int | None = None, collectivite_id: int | None = None) -> list[str]:
    """Daily (cron: `manage.py helios_retours`) or on demand: one budget, one collectivité, or all."""
    budgets = Budget.objects.filter(exercices__isnull=False).distinct().order_by("pk")
    if budget_id is not None:
        budgets = budgets.filter(pk=budget_id)
    if collectivite_id is not None:
        budgets = budgets.filter(collectivite_id=collectivite_id)
    return [r.nom for r in generate_all(list(budgets))]
