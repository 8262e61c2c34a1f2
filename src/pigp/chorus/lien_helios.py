"""The Hélios link: an invoice follows the mandat that pays it, automatically.

Hélios sends `pieces_received` and `pieces_moved` inside its own transaction
(`pigp.helios.signals`); `receivers.py` hands them here. Everything runs in that transaction:
a few queries per batch of pièces, no file or network work (the e-mail to the supplier is a
task enqueued with it). A mandat that matches no invoice is not an error: Hélios' decision
commits whatever Chorus finds.

How a mandat finds its invoices (collectivité of the pièce = collectivité of the invoice,
dépense only, exercice of the mandat not before the invoice's year of issue):
(a) the number the recipient gave when marking the invoice 08 « Mandatée » (`numero_mandat`
    = the pièce's `IdPce`), for an invoice at 08 not linked yet;
(b) the invoice number the PES carries (`helios.FacturePiece`) + the supplier (the pièce's
    tiers SIRET = the supplier's SIRET) + the amount (see `_amount_fits`), for an invoice at
    03, 07, 08 or 12 not linked yet: one not mandated yet passes 08 on the way, its number
    taken from the pièce, both steps journaled as « Hélios ». 05 Rejetée and 11 never move.

Then: prise en charge → 10 Comptabilisée; payment → 11 Mise en paiement (date and EndToEndId
of the payment); rejet → back to 07 if service fait was stated, else 03, with the comptable's
motif; the link and the mandat's number are cleared (the mandat will never pay it: the
recipient mandates it again, under a new number).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.utils import timezone

from pigp.chorus import statuts
from pigp.chorus.models import Facture, FactureEvent, StatutFacture
from pigp.chorus.traitement import notify_supplier
from pigp.helios.models import Domaine, EtatPiece, FacturePiece, Paiement, Piece
from pigp.helios.motifs import motifs_for
from pigp.helios.signals import PaymentRef

S = StatutFacture
E = EtatPiece
ACTOR = "Hélios"

# An invoice found by its number, supplier and amount may be linked from these statuses.
LINKABLE = frozenset({S.MISE_A_DISPOSITION, S.SERVICE_FAIT, S.MANDATEE, S.COMPLETEE})
# Once linked, the invoice follows its mandat from these.
FOLLOWING = frozenset({S.MISE_A_DISPOSITION_COMPTABLE, S.COMPTABILISEE})
# The states `catch_up` follows a mandat to (it tells the supplier of the last one only).
LIVED = frozenset({E.PRISE_EN_CHARGE, E.PAYEE, E.REJETEE})
# A rounding difference between the invoice's TTC and the mandat's amount.
TOLERANCE = Decimal("0.01")

_PIECE_FIELDS = (
    "pk",
    "id_pce",
    "collectivite_id",
    "exercice__annee",
    "mt_ttc",
    "etat",
    "tiers__id_tiers",
)


def _amount_fits(facture: Facture, mt_ttc: Decimal, invoices_on_piece: int) -> bool:
    """A mandat paying this invoice alone carries its TTC (or its amount to pay, after a
    deposit) to the cent; a mandat paying several invoices carries at least this one's."""
    amounts = [a for a in (facture.montant_ttc, facture.montant_a_payer) if a]
    if not amounts:
        return False
    if invoices_on_piece <= 1:
        return any(abs(a - mt_ttc) <= TOLERANCE for a in amounts)
    return min(amounts) <= mt_ttc + TOLERANCE


def _transition(
    facture: Facture, to: str, *, motif: str = "", notify: bool = True, **fields: Any
) -> None:
    """One step, as « Hélios »; the supplier is told of the status reached (not of the steps
    passed on the way: one e-mail per change Hélios makes)."""
    statuts.transition(facture, to, actor_label=ACTOR, motif=motif, **fields)
    if notify:
        notify_supplier(facture)


def link(facture: Facture, piece: Piece | Mapping[str, Any], *, notify: bool = True) -> None:
    """Make `piece` the mandat of `facture`: 09, through 08 when it was not mandated yet."""
    pk = piece.pk if isinstance(piece, Piece) else piece["pk"]
    id_pce = piece.id_pce if isinstance(piece, Piece) else piece["id_pce"]
    if facture.statut != S.MANDATEE:
        _transition(facture, S.MANDATEE, numero_mandat=id_pce[:40], notify=False)
    _transition(
        facture,
        S.MISE_A_DISPOSITION_COMPTABLE,
        mandat_id=pk,
        numero_mandat=id_pce[:40],
        notify=notify,
    )


def on_received(*, piece_ids: list[int], collectivite_id: int, domaine: str, lived: bool) -> None:
    """New mandats in the ledger: find the invoices they pay and link them."""
    if domaine != Domaine.DEPENSE or not piece_ids:
        return
    pieces = {
        row["pk"]: row for row in Piece.objects.filter(pk__in=piece_ids).values(*_PIECE_FIELDS)
    }
    linked: dict[int, int] = {}  # facture pk → pièce pk
    factures: dict[int, Facture] = {}
    base = Facture.objects.select_related("fournisseur", "collectivite").filter(
        collectivite_id=collectivite_id, mandat__isnull=True
    )

    # (a) the mandat's number given when the invoice was marked 08.
    by_number: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in pieces.values():
        by_number[row["id_pce"]].append(row)
    for facture in base.filter(statut=S.MANDATEE, numero_mandat__in=list(by_number)):
        for row in by_number[facture.numero_mandat]:
            if row["exercice__annee"] >= facture.annee_emission:
                linked[facture.pk] = row["pk"]
                factures[facture.pk] = facture
                break

    # (b) the invoice numbers the PES carries, with the supplier and the amount.
    numbers: dict[str, list[int]] = defaultdict(list)
    count: dict[int, int] = defaultdict(int)
    for piece_id, numero in FacturePiece.objects.filter(piece_id__in=piece_ids).values_list(
        "piece_id", "numero"
    ):
        numbers[numero].append(piece_id)
        count[piece_id] += 1
    if numbers:
        candidates = base.filter(statut__in=LINKABLE, numero__in=list(numbers)).exclude(
            pk__in=list(linked)
        )
        for facture in candidates:
            for piece_id in numbers[facture.numero]:
                row = pieces[piece_id]
                if (
                    row["tiers__id_tiers"] == facture.fournisseur.siret
                    and row["exercice__annee"] >= facture.annee_emission
                    and _amount_fits(facture, row["mt_ttc"], count[piece_id])
                ):
                    linked[facture.pk] = piece_id
                    factures[facture.pk] = facture
                    break

    for facture_pk, piece_id in sorted(linked.items()):
        facture = factures[facture_pk]
        lives_on = lived and pieces[piece_id]["etat"] in LIVED
        link(facture, pieces[piece_id], notify=not lives_on)
        if lives_on:
            catch_up(facture, pieces[piece_id]["etat"], piece_id)


def catch_up(facture: Facture, etat: str, piece_id: int) -> None:
    """An invoice linked to a mandat that has already lived (the volume seed, or a mandat
    picked when marking the invoice 08): follow it to its state at once."""
    if etat == E.PRISE_EN_CHARGE:
        _transition(facture, S.COMPTABILISEE)
    elif etat == E.PAYEE:
        paid = Paiement.objects.filter(piece_id=piece_id).order_by("-date", "-pk").first()
        piece = Piece.objects.only("date_paiement", "date_prise_en_charge").get(pk=piece_id)
        _transition(facture, S.COMPTABILISEE, notify=False)
        day = paid.date if paid else (piece.date_paiement or timezone.localdate())
        _transition(
            facture,
            S.MISE_EN_PAIEMENT,
            date_paiement=day,
            reference_paiement=paid.reference if paid else "",
        )
    elif etat == E.REJETEE:
        piece = Piece.objects.only("motif_code", "motif_commentaire", "id_pce").get(pk=piece_id)
        _reject(facture, piece.id_pce, piece.motif_code, piece.motif_commentaire, service=None)


def motif_text(id_pce: str, motif_code: str, commentaire: str) -> str:
    labels = motifs_for(Domaine.DEPENSE)
    codes = [f"{code} {labels.get(code, '')}".strip() for code in motif_code.split()]
    text = f"Mandat n° {id_pce} rejeté par le comptable"
    if codes:
        text += " : " + " ; ".join(codes)
    if commentaire:
        text += f" — {commentaire}"
    return text


def _reject(
    facture: Facture, id_pce: str, motif_code: str, commentaire: str, *, service: bool | None
) -> None:
    if service is None:
        service = FactureEvent.objects.filter(facture=facture, statut=S.SERVICE_FAIT).exists()
    _transition(
        facture,
        S.SERVICE_FAIT if service else S.MISE_A_DISPOSITION,
        motif=motif_text(id_pce, motif_code, commentaire),
        mandat_id=None,
        numero_mandat="",
    )


def on_moved(
    *,
    piece_ids: list[int],
    to: str,
    domaine: str,
    day: datetime.date,
    motif_code: str = "",
    commentaire: str = "",
    payments: Mapping[int, PaymentRef] | None = None,
) -> None:
    """Mandats changed state: their invoices follow."""
    if domaine != Domaine.DEPENSE or to not in (E.PRISE_EN_CHARGE, E.PAYEE, E.REJETEE):
        return
    factures = list(
        Facture.objects.select_related("fournisseur", "collectivite")
        .filter(mandat_id__in=piece_ids, statut__in=FOLLOWING)
        .order_by("pk")
    )
    if not factures:
        return
    if to == E.PRISE_EN_CHARGE:
        for facture in factures:
            if facture.statut == S.MISE_A_DISPOSITION_COMPTABLE:
                _transition(facture, S.COMPTABILISEE)
    elif to == E.PAYEE:
        refs = payments or {}
        for facture in factures:
            if facture.statut == S.MISE_A_DISPOSITION_COMPTABLE:
                _transition(facture, S.COMPTABILISEE, notify=False)
            ref = refs.get(facture.mandat_id or 0)
            _transition(
                facture,
                S.MISE_EN_PAIEMENT,
                date_paiement=ref.date if ref else day,
                reference_paiement=ref.reference if ref else "",
            )
    else:
        numbers = dict(
            Piece.objects.filter(pk__in={f.mandat_id for f in factures}).values_list("pk", "id_pce")
        )
        served = set(
            FactureEvent.objects.filter(facture__in=factures, statut=S.SERVICE_FAIT).values_list(
                "facture_id", flat=True
            )
        )
        for facture in factures:
            _reject(
                facture,
                numbers.get(facture.mandat_id or 0, facture.numero_mandat),
                motif_code,
                commentaire,
                service=facture.pk in served,
            )


def mandats_of_collectivite(collectivite_id: int, query: str, limit: int = 20) -> Iterable[Piece]:
    """The mandats of a collectivité an invoice may be linked to, by number (« Mandater »)."""
    qs = Piece.objects.filter(collectivite_id=collectivite_id, domaine=Domaine.DEPENSE).exclude(
        etat=E.REJETEE
    )
    query = (query or "").strip()
    if query:
        qs = qs.filter(id_pce__startswith=query)
    return qs.select_related("exercice", "tiers").order_by("-exercice__annee", "-pk")[:limit]


def link_on_mandater(facture: Facture, mandat: int | None = None) -> Piece | None:
    """Marked 08 with a number: when that mandat is already in the ledger, link it now (09)
    and follow it to where it stands. The pièce picked (`mandat`) when given; else, several
    pièces of that number (budgets, exercices): the latest exercice's, then the latest."""
    if facture.collectivite_id is None:
        return None
    candidates = Piece.objects.filter(pk=mandat) if mandat is not None else Piece.objects.all()
    piece = (
        candidates.filter(
            collectivite_id=facture.collectivite_id,
            domaine=Domaine.DEPENSE,
            id_pce=facture.numero_mandat,
            exercice__annee__gte=facture.annee_emission,
        )
        .exclude(etat=E.REJETEE)
        .order_by("-exercice__annee", "-pk")
        .first()
    )
    if piece is None:
        if mandat is not None:
            raise statuts.TransitionError(
                "Ce mandat n'est pas un mandat de la collectivité portant ce numéro."
            )
        return None
    link(facture, piece, notify=piece.etat not in LIVED)
    catch_up(facture, piece.etat, piece.pk)
    return piece
