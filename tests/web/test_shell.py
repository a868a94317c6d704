"""The shell around every page: the favicon, the skip link, the collapsing menu, the language
switcher, and error pages inside the site in the visitor's language."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.utils.translation import gettext

pytestmark = pytest.mark.django_db


def test_every_page_links_the_mark_and_favicon_ico_leads_to_it() -> None:
    client = Client()
    page = client.get("/").content.decode()
    assert 'rel="icon" href="/static/peeka/favicon.svg" type="image/svg+xml"' in page
    answer = client.get("/favicon.ico")
    assert (answer.status_code, answer.headers["Location"]) == (301, "/static/peeka/favicon.svg")
    icon = client.get("/static/peeka/favicon.svg")
    assert icon.status_code == 200 and icon.headers["Content-Type"].startswith("image/svg+xml")


def test_the_switcher_offers_each_language_in_its_own_script() -> None:
    page = Client().get("/", headers={"accept-language": "ko"}).content.decode()
    for code, name, lang in (("en", "English", "en"), ("ko", "한국어", "ko"),
                             ("zh-hans", "简体中文", "zh-Hans")):  # fmt: skip
        assert f'value="{code}" lang="{lang}"' in page and f">{name}</button>" in page
    assert 'value="ko" lang="ko" aria-current="true"' in page


def test_every_page_starts_with_a_skip_link_and_a_menu_that_collapses() -> None:
    page = Client().get("/").content.decode()
    assert page.index('href="#main"') < page.index("<nav")
    assert 'id="main" tabindex="-1"' in page
    assert 'data-bs-target="#navigation" aria-controls="navigation"' in page
    assert '<div class="collapse navbar-collapse" id="navigation">' in page


@pytest.mark.parametrize("accept", ["en", "ko", "zh-CN"])
def test_a_missing_page_is_a_page_of_the_site_in_its_language(accept: str) -> None:
    answer = Client().get("/no/such/page/", headers={"accept-language": accept})
    page = answer.content.decode()
    assert answer.status_code == 404
    assert 'id="language-switcher"' in page and 'href="/"' in page
    language = {"en": "en", "ko": "ko", "zh-CN": "zh-hans"}[accept]
    with translation.override(language):
        assert gettext("Page not found") in page


def test_an_api_miss_stays_json() -> None:
    answer = Client().get("/api/v1/no-such-thing")
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


def test_a_server_error_page_stands_alone_in_the_language() -> None:
    from django.views.defaults import server_error

    request = RequestFactory().get("/")
    with translation.override("ko"):
        page = server_error(request).content.decode()
        assert gettext("Something went wrong") in page
    assert '<html lang="ko">' in page and "<nav" not in page


def test_an_expired_form_explains_itself() -> None:
    client = Client(enforce_csrf_checks=True)
    answer = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert answer.status_code == 403
    assert "The form expired" in answer.content.decode()


def test_the_admin_wears_peekas_name_colours_and_columns(db: None) -> None:
    from peeka.accounts import otp
    from peeka.accounts.models import TotpDevice, User
    from tests.webapp import PASSWORD, logged_in

    admin = User.objects.create_superuser("root", password=PASSWORD)
    otp.begin_totp(admin)
    TotpDevice.objects.filter(user=admin).update(confirmed=True)
    client = logged_in(admin)
    index = client.get("/admin/").content.decode()
    assert "Peeka administration" in index and "Django administration" not in index
    assert "/static/peeka/admin.css" in index
    users = client.get("/admin/accounts/user/").content.decode()
    for column in ("column-face", "column-authenticator_app", "column-last_login"):
        assert column in users
    korean = client.get("/admin/", headers={"accept-language": "ko"}).content.decode()
    with translation.override("ko"):
        assert gettext("Peeka administration") in korean
