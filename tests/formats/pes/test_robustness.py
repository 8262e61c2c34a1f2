"""Every single-element deletion, emptied value or odd value in a valid flow gives a
report (findings), never an exception: the readers must cope with schema-invalid input."""

from __future__ import annotations

import contextlib
import copy

import pytest
from lxml import etree

from pigp.formats.pes import Report, read_pes_aller, validate
from pigp.formats.pes.errors import PesFormatError

from .conftest import VALID_FLOW


def _tree() -> etree._ElementTree:
    return etree.parse(str(VALID_FLOW), etree.XMLParser(resolve_entities=False, no_network=True))


def _element_list(tree: etree._ElementTree) -> list[etree._Element]:
    return [el for el in tree.iter() if isinstance(el.tag, str)][1:]


_SOURCE = _tree()
ELEMENTS = [(i, _SOURCE.getpath(el)) for i, el in enumerate(_element_list(_SOURCE))]


def _serialize(tree: etree._ElementTree) -> bytes:
    return etree.tostring(tree, xml_declaration=True, encoding="ISO-8859-1")


def _check(data: bytes) -> Report:
    report = validate(data)
    assert report.root == "PES_Aller"
    try:
        for _record in read_pes_aller(data):
            pass
    except PesFormatError:
        pass
    return report


@pytest.mark.parametrize(("index", "path"), ELEMENTS, ids=[p for _, p in ELEMENTS])
def test_deleting_any_element(index: int, path: str) -> None:
    tree = _tree()
    el = _element_list(tree)[index]
    el.getparent().remove(el)
    report = _check(_serialize(tree))
    if path.endswith(("/IdBord", "/MtHT", "/IdUnique", "/Fichier", "/EnTetePES")):
        assert not report.valid


@pytest.mark.parametrize("value", ["", "-1", "1e3", "0" * 40, "NaN", "é"])
def test_odd_values_everywhere(value: str) -> None:
    tree = _tree()
    for el in tree.iter():
        if isinstance(el.tag, str) and el.get("V") is not None:
            el.set("V", value)
    assert not _check(_serialize(tree)).valid


def test_removing_every_v_attribute() -> None:
    tree = _tree()
    for el in tree.iter():
        if isinstance(el.tag, str):
            el.attrib.pop("V", None)
    assert not _check(_serialize(tree)).valid


def test_duplicating_every_bloc() -> None:
    tree = _tree()
    for el in list(tree.iter("BlocBordereau", "BlocPiece", "InfoTiers", "Contenu")):
        el.addnext(copy.deepcopy(el))
    assert not _check(_serialize(tree)).valid


@pytest.mark.parametrize(
    "name",
    [
        "acquit/acquit_ko.xml",
        "retour/simu_retour_depense.xml",
        "retour/acquit_retour_nonconforme.xml",
    ],
)
def test_other_messages_with_any_element_deleted(samples, name: str) -> None:
    from pigp.formats.pes import PesError, read_acquit, read_acquit_retour, read_retour

    reader = {
        "acquit/acquit_ko.xml": read_acquit,
        "retour/simu_retour_depense.xml": lambda d: list(read_retour(d)),
        "retour/acquit_retour_nonconforme.xml": read_acquit_retour,
    }[name]
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    count = len(
        [e for e in etree.parse(str(samples / name), parser).iter() if isinstance(e.tag, str)]
    )
    for index in range(1, count):
        tree = etree.parse(str(samples / name), parser)
        el = [e for e in tree.iter() if isinstance(e.tag, str)][index]
        el.getparent().remove(el)
        data = _serialize(tree)
        assert validate(data).root is not None
        with contextlib.suppress(PesError):
            reader(data)


def test_comments_and_processing_instructions_everywhere() -> None:
    data = VALID_FLOW.read_bytes()
    head, body = data.split(b"?>", 1)
    body = body.replace(b"/>", b"/><?pi x?><!-- c -->")
    report = _check(head + b"?>" + body)
    assert report.valid, [f.message for f in report.findings]
    assert report.pj_ids == ("PJTEST0001",)
