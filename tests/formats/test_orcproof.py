"""The Django-free half of ORC's proof: the entry hash agrees with the journal's, DER and
RFC 3161 requests round-trip, the seal payload is canonical."""

from __future__ import annotations

import datetime
import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pigp.formats.orcproof import canonical, der, tsp

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@settings(deadline=None)  # the first example imports Django's model: no timing here
@given(
    details=st.dictionaries(st.text(), json_values, max_size=4),
    label=st.text(max_size=40),
    actor=st.none() | st.integers(min_value=1, max_value=10**9),
    micro=st.integers(min_value=0, max_value=999_999),
    previous=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
)
def test_entry_hash_agrees_with_the_journal(details, label, actor, micro, previous):
    from pigp.core.models.journal import JournalEntry

    entry = JournalEntry(
        timestamp=datetime.datetime(2026, 12, 7, 23, 1, 2, micro, tzinfo=datetime.UTC),
        actor_id=actor,
        actor_label=label,
        action="orc_scellement",
        object_type="orc.archiveunit",
        object_id="12",
        object_repr="Mandat 12 / bordereau 3 (2024)",
        collectivite_id=7,
        ip="127.0.0.1",
        details=json.loads(json.dumps(details)),
        previous_hash=previous,
    )
    # What a proof carries goes through JSON: hash it back from there, as check-proof does.
    content = json.loads(json.dumps(entry.content(), ensure_ascii=False, default=str))
    assert canonical.entry_hash(previous, content) == entry.compute_hash()


def test_seal_payload_is_canonical():
    fields = {
        "version": 1,
        "at": "2026-12-07T23:00:00.000000+00:00",
        "head_hash": "a" * 64,
        "count": 3,
        "last_entry_id": 9,
        "key_id": "b" * 64,
        "extra": "ignored",
    }
    payload = canonical.seal_payload(fields)
    assert payload == canonical.seal_payload(dict(reversed(list(fields.items()))))
    assert json.loads(payload) == {k: v for k, v in fields.items() if k != "extra"}
    assert b" " not in payload


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_der_integer_round_trip(value):
    assert der.parse(der.integer(value)).as_int() == value


@given(st.lists(st.integers(min_value=0, max_value=2**40), min_size=1, max_size=8))
def test_der_oid_round_trip(arcs):
    dotted = ".".join(str(a) for a in [1, 3, *arcs])
    assert der.parse(der.oid(dotted)).as_oid() == dotted


@settings(deadline=None)
@given(st.binary(min_size=0, max_size=70000))
def test_der_long_lengths(content):
    node = der.parse(der.octets(content))
    assert node.content == content


def test_timestamp_request_is_rfc3161():
    digest = hashlib.sha512(b"charge utile").digest()
    request = der.parse(tsp.build_request(digest, 2**62 + 5)).children()
    assert request[0].as_int() == 1
    imprint = request[1].children()
    assert imprint[0].children()[0].as_oid() == tsp.SHA512_OID
    assert imprint[1].content == digest
    assert request[2].as_int() == 2**62 + 5
    assert request[3].content == b"\xff"  # certReq


def test_refused_and_garbage_responses():
    with pytest.raises(tsp.TspError, match="refusé"):
        tsp.token_of_response(der.seq(der.seq(der.integer(2))))
    for garbage in (b"", b"\x30\x05\x02", b"<html>erreur</html>"):
        with pytest.raises(tsp.TspError):
            tsp.token_of_response(garbage)
