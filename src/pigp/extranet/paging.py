"""Paging of the Extranet's long lists (a collectivité may hold hundreds of thousands of mandats).

Two costs grow with the list: counting it, and skipping the rows before the page (OFFSET).
`ListPaginator` bounds both:
- it counts at most `CAP` rows (« plus de 10 000 mandats »): beyond that, nobody pages through a
  list, they narrow it or export it (the export has every row);
- it reads a page in two steps: the page's ids first (the offset is then walked in an index,
  without the joins of the rows), then the rows of those ids with what each row shows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from functools import cached_property
from typing import Any, Protocol, TypeVar

from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet

CAP = 10_000

T = TypeVar("T")


class Keep(Protocol):
    """Memoizes a result under a name and key (`extranet.snapshots.Keeper`)."""

    def __call__(self, name: str, key: Hashable, compute: Callable[[], T]) -> T: ...


def _compute(name: str, key: Hashable, compute: Callable[[], T]) -> T:
    return compute()


class ListPaginator(Paginator):
    """`keep`: where the count and the pages' ids are kept (by default nowhere)."""

    def __init__(
        self,
        object_list: QuerySet[Any],
        per_page: int,
        cap: int | None = None,
        keep: Keep = _compute,
    ) -> None:
        super().__init__(object_list, per_page)
        self.cap = CAP if cap is None else cap
        self.keep = keep

    @cached_property
    def count(self) -> int:
        """The number of rows, at most `cap` (`capped` says whether there are more)."""
        return min(self._counted, self.cap)

    @cached_property
    def _counted(self) -> int:
        qs: QuerySet[Any] = self.object_list  # type: ignore[assignment]
        return self.keep("compte", self.cap, lambda: qs.order_by()[: self.cap + 1].count())

    @property
    def capped(self) -> bool:
        return self._counted > self.cap

    def page(self, number: int | str) -> Page[Any]:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        qs: QuerySet[Any] = self.object_list  # type: ignore[assignment]
        ids = self.keep(
            "ids", (bottom, top), lambda: list(qs.values_list("pk", flat=True)[bottom:top])
        )
        return Page(_in_order(qs, ids), number, self)


def _in_order(qs: QuerySet[Any], ids: Sequence[int]) -> list[Model]:
    """The rows of `ids` in the order of `ids` (one query on the primary key)."""
    if not ids:
        return []
    rows = {row.pk: row for row in qs.filter(pk__in=ids).order_by()}
    return [rows[pk] for pk in ids if pk in rows]
