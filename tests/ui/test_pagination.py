"""The one pagination partial: DSFR markup, filters kept, current page marked, first and last pages."""

from __future__ import annotations

import re

from django.core.paginator import Paginator
from django.http import QueryDict
from django.template.loader import render_to_string
from django.test import RequestFactory


def _render(url: str, number: int, pages: int = 5, **extra: object) -> str:
    request = RequestFactory().get(url)
    page = Paginator(range(pages * 10), 10).get_page(number)
    return render_to_string("ui/_pagination.html", {"page_obj": page, **extra}, request=request)


def _links(html: str) -> dict[str, str]:
    return {
        label: href.replace("&amp;", "&")
        for href, label in re.findall(
            r'<a class="fr-pagination__link[^"]*" href="([^"]*)">([^<]+)</a>', html
        )
    }


def test_a_middle_page_keeps_the_filters_and_marks_the_current_page():
    html = _render("/liste/?statut=active&page=3&q=a+b", 3)
    assert re.search(
        r'<nav role="navigation" class="fr-pagination[^"]*" aria-label="Pagination">', html
    )
    assert html.count('aria-current="page"') == 1
    assert re.search(r'aria-current="page" title="Page 3 sur 5">3 / 5</a>', html)
    assert _links(html) == {
        "Première page": "?statut=active&page=1&q=a+b",
        "Page précédente": "?statut=active&page=2&q=a+b",
        "Page suivante": "?statut=active&page=4&q=a+b",
        "Dernière page": "?statut=active&page=5&q=a+b",
    }


def test_first_and_last_pages_offer_only_the_way_on():
    first = _links(_render("/liste/?statut=active", 1))
    assert first == {
        "Page suivante": "?statut=active&page=2",
        "Dernière page": "?statut=active&page=5",
    }
    last = _links(_render("/liste/?page=5", 5))
    assert last == {"Première page": "?page=1", "Page précédente": "?page=4"}


def test_a_single_page_has_no_pagination():
    assert "fr-pagination" not in _render("/liste/", 1, pages=1)


def test_a_second_list_on_the_page_has_its_own_parameter_and_label():
    html = _render("/releve/?page=2", 1, page_param="credits", page_label="Lignes au crédit")
    assert 'aria-label="Lignes au crédit"' in html
    assert _links(html)["Page suivante"] == "?page=2&credits=2"


def test_a_page_reached_by_post_links_from_the_query_it_is_given():
    query = QueryDict("run-collectivite=4&exclure=7&exclure=9")
    html = _render("/apercu/", 1, page_query=query)
    assert _links(html)["Page suivante"] == "?run-collectivite=4&exclure=7&exclure=9&page=2"
