"""RFC 3161 time-stamp protocol, the client's side: the request (DER) for a SHA-512 digest,
the response's status and token, and the token's TSTInfo (message imprint, time, nonce).

The token's CMS signature is not checked here (it needs the authority's certificate chain):
`openssl ts -verify` does it with the authority's certificate; what pigp checks is that the
token stamps exactly the seal's signed payload.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from . import der

SHA512_OID = "2.16.840.1.101.3.4.2.3"
SIGNED_DATA_OID = "1.2.840.113549.1.7.2"
TST_INFO_OID = "1.2.840.113549.1.9.16.1.4"
REQUEST_MEDIA_TYPE = "application/timestamp-query"
RESPONSE_MEDIA_TYPE = "application/timestamp-reply"


class TspError(ValueError):
    """A time-stamp response or token that cannot be used (French message)."""


def message_imprint(digest: bytes) -> bytes:
    return der.seq(der.seq(der.oid(SHA512_OID), der.null()), der.octets(digest))


def build_request(digest: bytes, nonce: int) -> bytes:
    """TimeStampReq v1 for a SHA-512 `digest`, with `nonce` and certReq set."""
    if len(digest) != 64:
        raise TspError("l'empreinte à horodater doit être un SHA-512 (64 octets)")
    return der.seq(der.integer(1), message_imprint(digest), der.integer(nonce), der.boolean(True))


def token_of_response(response: bytes) -> bytes:
    """The TimeStampToken of a TimeStampResp whose status is granted (0 or 1)."""
    try:
        top = der.parse(response).children()
        status = top[0].children()[0].as_int()
    except (der.DerError, IndexError) as exc:
        raise TspError(f"réponse d'horodatage illisible : {exc}") from exc
    if status not in (0, 1):
        raise TspError(f"l'autorité d'horodatage a refusé la demande (statut {status})")
    if len(top) < 2:
        raise TspError("la réponse d'horodatage ne contient pas de jeton")
    return top[1].raw


@dataclass(frozen=True)
class TstInfo:
    hash_algorithm: str
    hashed_message: bytes
    gen_time: str
    serial: int
    nonce: int | None


def read_token(token: bytes) -> TstInfo:
    """The TSTInfo a TimeStampToken (ContentInfo of SignedData) carries."""
    try:
        content_info = der.parse(token).children()
        if content_info[0].as_oid() != SIGNED_DATA_OID:
            raise TspError("le jeton n'est pas une structure SignedData")
        signed_data = content_info[1].children()[0].children()
        encap = signed_data[2].children()
        if encap[0].as_oid() != TST_INFO_OID:
            raise TspError("le jeton ne contient pas de TSTInfo")
        tst = der.parse(encap[1].children()[0].content).children()
        imprint = tst[2].children()
        algorithm = imprint[0].children()[0].as_oid()
        hashed = imprint[1].content
        serial = tst[3].as_int()
        gen_time = tst[4].content.decode("ascii")
        nonce = None
        for node in tst[5:]:
            if node.tag == der.INTEGER:
                nonce = node.as_int()
                break
    except (der.DerError, IndexError, UnicodeDecodeError) as exc:
        raise TspError(f"jeton d'horodatage illisible : {exc}") from exc
    return TstInfo(algorithm, hashed, gen_time, serial, nonce)


def check_token(token: bytes, digest: bytes) -> TstInfo:
    """The token's TSTInfo if it stamps `digest` with SHA-512; `TspError` otherwise."""
    info = read_token(token)
    if info.hash_algorithm != SHA512_OID:
        raise TspError("le jeton d'horodatage n'utilise pas SHA-512")
    if info.hashed_message != digest:
        raise TspError("le jeton d'horodatage ne porte pas sur ce scellement")
    return info


def gen_time_iso(info: TstInfo) -> str:
    """The token's time as ISO 8601 (UTC), or the raw GeneralizedTime if unusual."""
    raw = info.gen_time.rstrip("Z").split(".")[0]
    try:
        stamp = datetime.datetime.strptime(raw, "%Y%m%d%H%M%S").replace(tzinfo=datetime.UTC)
    except ValueError:
        return info.gen_time
    return stamp.isoformat()
