"""The SFTP virtual tree without the network: paths, listings, perimeter."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from pigp.core import files
from pigp.passerelle.models import MailboxItem
from pigp.passerelle.sftp import vfs
from tests.conftest import grant, make_user


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        (b"/", ()),
        (b".", ()),
        (b"", ()),
        (b"depot", ("depot",)),
        (b"/depot//24310063300011/", ("depot", "24310063300011")),
        (b"../../../etc/passwd", ("etc", "passwd")),
        (b"/retour/../depot/./f.xml", ("depot", "f.xml")),
        ("/dépôt/é.xml".encode(), ("dépôt", "é.xml")),
    ],
)
def test_paths_are_normalised_inside_the_root(raw, parts):
    assert vfs.split_path(raw) == parts


@pytest.mark.parametrize("raw", [b"/depot/\xff.xml", b"/depot/a\x00b"])
def test_unreadable_names_are_not_found(raw):
    with pytest.raises(vfs.NotFound):
        vfs.split_path(raw)


def _item(coll, name, *, days_old=0, read=False):
    stored = files.store_bytes(name.encode(), media_type="application/xml")
    item = MailboxItem.objects.create(
        collectivite=coll, kind="pes_acquit", name=name, fichier=stored
    )
    when = timezone.now() - datetime.timedelta(days=days_old)
    MailboxItem.objects.filter(pk=item.pk).update(
        created_at=when, read_at=timezone.now() if read else None
    )
    return item


def test_retour_lists_unread_and_recent_items(db, collectivite, entitled):
    _item(collectivite, "nouveau.xml")
    _item(collectivite, "ancien-non-lu.xml", days_old=400)
    _item(collectivite, "ancien-lu.xml", days_old=400, read=True)
    _item(collectivite, "recent-lu.xml", days_old=3, read=True)
    _item(collectivite, "a/b.xml")
    names = [e.name for e in vfs.Tree(entitled).listdir(("retour", collectivite.siret))]
    assert sorted(names) == ["a_b.xml", "ancien-non-lu.xml", "nouveau.xml", "recent-lu.xml"]
    # The name shown for a stored name holding "/" opens that item.
    target = vfs.Tree(entitled).download(("retour", collectivite.siret, "a_b.xml"))
    assert target.name == "a_b.xml" and target.size == len(b"a/b.xml")


def test_tree_of_a_principal_follows_the_access_helpers(
    db, collectivite, other_collectivite, outsider, reader
):
    _item(collectivite, "acquit.xml")
    tree = vfs.Tree(outsider)
    assert [e.name for e in tree.listdir(("retour",))] == [other_collectivite.siret]
    with pytest.raises(vfs.NotFound):
        tree.stat(("retour", collectivite.siret, "acquit.xml"))
    with pytest.raises(vfs.NotFound):
        tree.upload_target(("depot", collectivite.siret, "x.xml"))
    reader_tree = vfs.Tree(reader)
    assert reader_tree.stat(("retour", "acquit.xml")).size == len(b"acquit.xml")
    with pytest.raises(vfs.Denied):
        reader_tree.upload_target(("depot", "x.xml"))
    with pytest.raises(vfs.Denied):
        reader_tree.upload_target(("retour", collectivite.siret, "x.xml"))


def test_deactivated_user_loses_the_tree(db, collectivite):
    user = make_user("parti@example.fr")
    grant(user, collectivite)
    user.is_active = False
    user.save()
    with pytest.raises(vfs.Denied):
        vfs.Tree(user)
