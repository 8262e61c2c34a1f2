"""Values in and out of lxml elements: the small helpers every PES reader and writer shares.

PES carries its data in ``V`` attributes of leaf elements (``<IdPce V="12"/>``); these
helpers read them from a parent's children, turn them into typed values (``Decimal``,
``int``, ``bool``), free what a streaming reader is done with, and write such leaves.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from lxml import etree

from . import records as r


def local_name(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def child_map(el: etree._Element) -> dict[str, etree._Element]:
    out: dict[str, etree._Element] = {}
    for child in el:
        tag = child.tag
        if isinstance(tag, str) and tag not in out:
            out[tag] = child
    return out


def v_attr(kids: dict[str, etree._Element], name: str) -> str | None:
    el = kids.get(name)
    return None if el is None else el.get("V")


def to_decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        return None


def to_int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def to_bool(value: str | None) -> bool | None:
    if value is None:
        return None
    return {"1": True, "true": True, "0": False, "false": False}.get(value.strip())


def pj_refs_in(parent: etree._Element) -> tuple[r.PjRef, ...]:
    return pj_refs_of(parent.iterchildren("PJRef"))


def pj_refs_of(elements: Iterable[etree._Element]) -> tuple[r.PjRef, ...]:
    refs = []
    for ref in elements:
        k = child_map(ref)
        refs.append(
            r.PjRef(
                v_attr(k, "Support"),
                v_attr(k, "IdUnique"),
                v_attr(k, "NomPJ"),
                v_attr(k, "TypePJ"),
                ref.sourceline,
            )
        )
    return tuple(refs)


def child_map_at(el: etree._Element | None, path: str) -> dict[str, etree._Element]:
    """Children of ``el.find(path)``, or nothing when either is missing (invalid flows)."""
    found = el.find(path) if el is not None else None
    return child_map(found) if found is not None else {}


def flux_header(
    root: etree._Element, enveloppe: etree._Element | None, entete: etree._Element
) -> r.FluxHeader:
    p = child_map_at(enveloppe, "Parametres")
    e = child_map_at(enveloppe, "Emetteur")
    h = child_map(entete)
    return r.FluxHeader(
        root=local_name(root.tag),
        xml_id=root.get("Id"),
        version=v_attr(p, "Version"),
        typ_fic=v_attr(p, "TypFic"),
        nom_fic=v_attr(p, "NomFic"),
        emetteur_sigle=v_attr(e, "Sigle"),
        emetteur_adresse=v_attr(e, "Adresse"),
        dte_str=v_attr(h, "DteStr"),
        id_post=v_attr(h, "IdPost"),
        libelle_poste=v_attr(h, "LibellePoste"),
        id_coll=v_attr(h, "IdColl"),
        fin_jur=v_attr(h, "FinJur"),
        cod_col=v_attr(h, "CodCol") or v_attr(h, "CodColl"),
        cod_bud=v_attr(h, "CodBud"),
        libelle_col_bud=v_attr(h, "LibelleColBud"),
        line=entete.sourceline,
    )


def drop_done(el: etree._Element) -> None:
    """Free an element whose record is built, and the siblings before it."""
    el.clear(keep_tail=True)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


def add_v(parent: etree._Element, tag: str, value: object) -> etree._Element:
    """Append the leaf ``<tag V="value"/>`` to ``parent``."""
    return etree.SubElement(parent, tag, V=str(value))
