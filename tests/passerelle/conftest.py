from tests.passerelle.spooling import django_tmp  # noqa: F401 (a fixture of the upload tests)
