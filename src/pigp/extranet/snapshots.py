"""What the Extranet computes from the ledger, kept while the ledger has not changed.

A page over a whole exercice (states, payment delay, restes à recouvrer, treasury, counts of a
long list) reads hundreds of thousands of pièces; the same figures are asked again and again
(every agent of a collectivité opens the same tableau de bord, a list is paged through with the
same filters). Each is kept in Django's cache under the versions of the exercices it reads
(`helios.versions`, moved by Hélios in the transaction of every write): the versions are read
first (one query), and the figures are reused only while they are the same, so they are
exact. The cache is the process's own unless `CACHES` names a shared one: each process fills
its own, which changes nothing to what the pages show.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.core.cache import cache
from django.http import QueryDict

import pigp
from pigp.helios import versions

T = TypeVar("T")

# Kept this long at most even when nothing changes (the cache's memory is not the ledger's).
TIMEOUT = 3600

Version = tuple[tuple[int, int], ...]


def of_collectivite(collectivite_id: int) -> Version:
    """The versions of every exercice of the collectivité (one query)."""
    return versions.where(exercice__budget__collectivite_id=collectivite_id)


def of_budget(budget_id: int) -> Version:
    """The versions of every exercice of the budget: its treasury moves with any of them
    (the restes of a past exercice are paid and recovered in the current year)."""
    return versions.where(exercice__budget_id=budget_id)


def kept(name: str, key: Hashable, version: Version, compute: Callable[[], T]) -> T:
    """`compute()`, or what it gave for the same `name` and `key` at the same `version`."""
    digest = hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()
    cache_key = f"extranet:{name}:{digest}"
    entry = cache.get(cache_key)
    if entry is not None and entry[0] == version and entry[1] == key:
        value: T = entry[2]
        return value
    value = compute()
    cache.set(cache_key, (version, key, value), TIMEOUT)
    return value


class Keeper:
    """`kept` for one page of a collectivité: its results keyed by the page's query string
    (the page number aside: each caller adds what else its result depends on), under the
    collectivité's versions, read once."""

    def __init__(self, collectivite_id: int, query: QueryDict, *extra: Hashable) -> None:
        self.version = of_collectivite(collectivite_id)
        params = tuple(sorted((k, tuple(v)) for k, v in query.lists() if k != "page"))
        self.base = (collectivite_id, params, *extra)

    def __call__(self, name: str, key: Hashable, compute: Callable[[], T]) -> T:
        return kept(name, (self.base, key), self.version, compute)

    def digest(self, name: str) -> str:
        """A name for what `name` gives at these versions (e.g. an export's file), the code's
        version included (a new release may write other columns)."""
        what = (name, self.base, self.version, pigp.__version__)
        return hashlib.blake2b(repr(what).encode(), digest_size=20).hexdigest()
