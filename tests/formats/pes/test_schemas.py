"""Shipped schema sets: present, compilable, cached once, budget document handled."""

from __future__ import annotations

import threading

import pytest
from lxml import etree

from pigp.formats.pes import schemas
from pigp.formats.pes.errors import PesSchemaError, PesSchemaUnavailableError

COMPILABLE = [k for k in schemas.MessageKind if k not in schemas.UNCOMPILABLE]


@pytest.mark.parametrize("version", schemas.SUPPORTED_VERSIONS)
@pytest.mark.parametrize("kind", COMPILABLE)
def test_every_shipped_schema_compiles(version: str, kind: schemas.MessageKind) -> None:
    assert isinstance(schemas.get_schema(version, kind), etree.XMLSchema)


def test_schema_is_compiled_once_and_shared_between_threads() -> None:
    seen: list[etree.XMLSchema] = []

    def load() -> None:
        seen.append(schemas.get_schema("v5.16", schemas.MessageKind.ALLER))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(s) for s in seen}) == 1


@pytest.mark.parametrize("version", schemas.SUPPORTED_VERSIONS)
def test_budget_document_schema_gives_a_typed_error(version: str) -> None:
    with pytest.raises(PesSchemaUnavailableError, match="non déterministe"):
        schemas.get_schema(version, schemas.MessageKind.DOC_BUDGETAIRE)


def test_libxml2_really_refuses_the_budget_document_schema() -> None:
    # If a future libxml2 compiles it, UNCOMPILABLE can be relaxed.
    path = schemas.schema_path("v5.17", schemas.MessageKind.DOC_BUDGETAIRE)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    with pytest.raises(etree.XMLSchemaParseError, match="determinist"):
        etree.XMLSchema(etree.parse(str(path), parser))


def test_unknown_version_is_refused() -> None:
    with pytest.raises(PesSchemaError, match=r"v4\.0"):
        schemas.get_schema("v4.0")


def test_package_data_and_origin_note() -> None:
    assert (schemas.XSD_DIR / "ORIGIN.md").is_file()
    assert (schemas.XSD_DIR / "XMLDSIG_PATCH.txt").is_file()
    for version in schemas.SUPPORTED_VERSIONS:
        dsig = schemas.XSD_DIR / version / "xmldsig" / "xmldsig-core-schema.xsd"
        assert 'name="X509SerialNumber" type="string"' in dsig.read_text(encoding="utf-8")


def test_root_identification() -> None:
    assert schemas.message_type(schemas.NS_ALLER, "PES_Aller").kind is schemas.MessageKind.ALLER
    assert (
        schemas.message_type(schemas.NS_ACQUIT_V2, "PES_ACQUIT").kind
        is schemas.MessageKind.ACQUIT_V2
    )
    assert (
        schemas.message_type(schemas.NS_RETOUR, "PES_ACQUIT").kind is schemas.MessageKind.ACQUIT_V1
    )
    assert schemas.message_type("urn:other", "PES_Aller") is None
