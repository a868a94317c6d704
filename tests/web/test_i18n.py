"""Pages speak Korean, Simplified Chinese or English: the browser's language for a visitor, the
switcher's choice (a cookie) over it, and a signed-in user's saved language over both; times in
the user's time zone, else the deployment's."""

from __future__ import annotations

import io
import json
import re
import zoneinfo

import polib
import pytest
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client, RequestFactory
from django.utils import timezone, translation
from django.utils.translation import gettext
from PIL import Image

from peeka.accounts.middleware import UserPreferencesMiddleware
from peeka.accounts.models import User
from peeka.errors import MultipleFacesError, gettext_noop
from peeka.security.wording import localized, localized_text
from peeka.web import catalogs
from tests.webapp import logged_in

pytestmark = pytest.mark.django_db

FACE_LOGIN = "Log in with your face"


def _in(language: str, message: str) -> str:
    with translation.override(language):
        translated = gettext(message)
    assert translated != message, f"{message!r} has no {language} translation"
    return translated


def _lang(page: HttpResponseBase) -> str:
    assert isinstance(page, HttpResponse)
    match = re.search(r'<html lang="([^"]+)"', page.content.decode())
    assert match
    return match.group(1)


@pytest.mark.parametrize(
    ("accept", "lang", "language"),
    [
        ("ko-KR,ko;q=0.9,en;q=0.5", "ko", "ko"),
        ("zh-CN,zh;q=0.9", "zh-Hans", "zh-hans"),
        ("fr-FR,fr;q=0.9", "en", "en"),
    ],
)
def test_a_visitor_gets_the_browsers_language(accept: str, lang: str, language: str) -> None:
    page = Client().get("/", headers={"accept-language": accept})
    assert _lang(page) == lang
    assert page.headers["Content-Language"] == language
    expected = FACE_LOGIN if language == "en" else _in(language, FACE_LOGIN)
    assert expected in page.content.decode()


def test_the_switcher_remembers_a_visitors_choice_and_goes_back() -> None:
    client = Client()
    answer = client.post("/accounts/language/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert (answer.status_code, answer.headers["Location"]) == (302, "/accounts/login/")
    page = client.get("/", headers={"accept-language": "ko"})
    assert _lang(page) == "zh-Hans"
    assert _in("zh-hans", FACE_LOGIN) in page.content.decode()


def test_the_switcher_refuses_an_unknown_language_and_a_foreign_next() -> None:
    client = Client()
    assert client.post("/accounts/language/", {"language": "xx"}).status_code == 400
    answer = client.post("/accounts/language/", {"language": "ko", "next": "https://evil.test/"})
    assert answer.headers["Location"] == "/"
    assert client.get("/accounts/language/").status_code == 405


def test_a_signed_in_users_saved_language_wins_everywhere(alice: User) -> None:
    client = logged_in(alice)
    client.post("/accounts/language/", {"language": "ko", "next": "/"})
    alice.refresh_from_db()
    assert alice.language == "ko"
    elsewhere = logged_in(alice)  # another browser, which asks for English
    page = elsewhere.get("/accounts/profile/", headers={"accept-language": "en"})
    assert _lang(page) == "ko" and page.headers["Content-Language"] == "ko"
    assert _in("ko", "Your profile") in page.content.decode()


def test_the_profile_saves_language_and_time_zone_and_refuses_a_bad_zone(alice: User) -> None:
    client = logged_in(alice)
    form = {"display_name": "Alice", "email": "", "language": "zh-hans"}
    answer = client.post("/accounts/profile/", {**form, "time_zone": "Asia/Seoul"})
    assert answer.status_code == 302
    alice.refresh_from_db()
    assert (alice.language, alice.time_zone) == ("zh-hans", "Asia/Seoul")
    assert answer.cookies["django_language"].value == "zh-hans"
    page = client.post("/accounts/profile/", {**form, "time_zone": "Mars/Olympus"})
    assert page.status_code == 200
    assert 'aria-invalid="true" aria-describedby="id_time_zone-errors"' in page.content.decode()
    alice.refresh_from_db()
    assert alice.time_zone == "Asia/Seoul"
    # Back to the browser's language: the saved choice and the switcher's cookie both go.
    answer = client.post("/accounts/profile/", {**form, "language": "", "time_zone": ""})
    alice.refresh_from_db()
    assert (alice.language, alice.time_zone) == ("", "")
    assert answer.cookies["django_language"]["max-age"] == 0
    page = client.get("/", headers={"accept-language": "ko"})
    assert _lang(page) == "ko"


def test_times_follow_the_users_zone_for_their_request_only(alice: User) -> None:
    seen: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(timezone.get_current_timezone_name())
        return HttpResponse()

    request = RequestFactory().get("/")
    alice.time_zone = "Asia/Shanghai"
    request.user = alice
    UserPreferencesMiddleware(view)(request)
    request.user = User(username="nobody-saved")  # no zone saved: the deployment's
    request.user.time_zone = ""
    UserPreferencesMiddleware(view)(request)
    assert seen[0] == "Asia/Shanghai"
    assert zoneinfo.ZoneInfo(seen[1]) == zoneinfo.ZoneInfo(timezone.get_default_timezone_name())
    assert timezone.get_current_timezone_name() == timezone.get_default_timezone_name()


def test_the_camera_scripts_strings_come_in_the_pages_language() -> None:
    client = Client()
    client.post("/accounts/language/", {"language": "ko"})
    script = client.get("/jsi18n/").content.decode()
    catalog = polib.pofile(str(catalogs.LOCALE_DIR / "ko" / "LC_MESSAGES" / "djangojs.po"))
    entry = catalog.find("Verifying…")
    assert entry is not None and entry.msgstr
    assert json.dumps(entry.msgstr)[1:-1] in script  # as the catalog script escapes it


def test_api_errors_keep_their_code_and_speak_the_callers_language(
    frames: dict[str, bytes],
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from peeka.api.models import ApiClient

    key = ApiClient.create("i18n")[1]
    blank = io.BytesIO()
    Image.new("RGB", (320, 240), "white").save(blank, "PNG")
    answers = {}
    for accept in ("en", "ko", "zh-CN"):
        photo = SimpleUploadedFile("face.png", blank.getvalue(), "image/png")
        answer = Client().post(
            "/api/v1/enrollments",
            {"user": "u-1", "images": [photo]},
            headers={"X-API-Key": key, "Accept-Language": accept},
        )
        assert answer.status_code == 400
        answers[accept] = answer.json()
    assert {a["code"] for a in answers.values()} == {"enrollment_failed"}
    english = answers["en"]["message"]
    assert english == (
        "Only 0 of 1 pictures were usable. No face was found in some pictures: look straight "
        "at the camera."
    )
    for accept, language in (("ko", "ko"), ("zh-CN", "zh-hans")):
        advice = _in(language, "No face was found in some pictures: look straight at the camera.")
        assert advice in answers[accept]["message"] and english not in answers[accept]["message"]


def test_an_errors_message_is_english_below_the_web_layer_and_translated_at_it() -> None:
    error = MultipleFacesError(
        gettext_noop("%(count)d faces were found. Make sure only you are in the picture."),
        params={"count": 3},
    )
    assert error.message == "3 faces were found. Make sure only you are in the picture."
    with translation.override("zh-hans"):
        assert localized(error).startswith("检测到 3 张人脸")
    assert localized_text("") == ""


def test_json_refusals_made_before_any_view_speak_the_callers_language() -> None:
    answer = Client().post(
        "/face/login/frames/",
        data=b"--nope\r\n",
        content_type="multipart/form-data",
        headers={"accept-language": "ko"},
    )
    assert answer.status_code == 400 and answer.json()["code"] == "malformed_body"
    assert answer.json()["message"] == _in(
        "ko", "The request body is not valid multipart/form-data."
    )
    missing = Client().get("/api/v1/no-such-thing", headers={"accept-language": "zh-CN"})
    assert missing.json() == {
        "code": "not_found",
        "message": _in(
            "zh-hans", "No such API endpoint; the endpoints are listed at /api/v1/docs."
        ),
    }
