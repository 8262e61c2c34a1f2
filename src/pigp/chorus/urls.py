"""Chorus Pro access, mounted at /chorus/."""

app_name = "chorus"

urlpatterns: list = []
