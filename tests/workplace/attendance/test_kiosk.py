"""The kiosk, on the real webcam recording: a browser becomes a kiosk with a device key; a face
identified through the device's own liveness challenge punches once, after the member
confirmed; a revoked key stops at once; the device API (`/api/v1/workplace`) with its
X-Device-Key; the PIN fallback, throttled and locked like a factor, its reason recorded; and
the member's own punch from the attendance page with a face check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import User
from peeka.biometrics import RGBImage
from peeka.faces import flows
from peeka.security.client import ClientInfo
from peeka.security.models import AuditEvent
from peeka.workplace.attendance import services
from peeka.workplace.attendance.models import KioskDevice, Punch
from peeka.workplace.org.models import Member
from peeka.workplace.org.services import department_create, member_create
from tests.webapp import PASSWORD, FrozenClock, logged_in, reauthenticated, recorded

CLIENT = ClientInfo(ip="127.0.0.1", user_agent="test")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def blink_only(settings: SettingsWrapper, clock: FrozenClock) -> None:
    settings.PEEKA_LIVENESS = True
    settings.PEEKA_LIVENESS_FIXED_STEPS = ["blink"]


@pytest.fixture
def minji(look: list[bytes]) -> Member:
    """A member whose face (the webcam recording's person) is enrolled."""
    user = User.objects.create_user("minji", password=PASSWORD)
    flows.face_enroll(user=user, frames=look[:3], scheme="iom", client=CLIENT, channel="admin")
    return member_create(
        user=user,
        employee_number="E001",
        name="김민지",
        department=department_create(name="영업부", code="sales"),
        hire_date=dt.date(2024, 3, 2),
    )


@pytest.fixture
def kiosk() -> tuple[KioskDevice, str]:
    return services.kiosk_create(name="Lobby")


def kiosk_browser(key: str) -> Client:
    browser = Client()
    response = browser.post("/workplace/kiosk/", {"key": key})
    assert response.status_code == 302 and response.cookies["peeka_kiosk"]["httponly"]
    return browser


def test_a_face_punches_once_after_the_member_confirms(
    minji: Member, kiosk: tuple[KioskDevice, str], blink: list[bytes],
    clock: FrozenClock,
) -> None:  # fmt: skip
    anyone = Client()
    setup = anyone.get("/workplace/kiosk/")
    assert setup.status_code == 200 and b'name="key"' in setup.content
    wrong = anyone.post("/workplace/kiosk/", {"key": "pkk_wrong"})
    assert wrong.status_code == 400 and "peeka_kiosk" not in wrong.cookies
    assert anyone.post("/workplace/kiosk/challenge/").status_code == 401

    browser = kiosk_browser(kiosk[1])
    page = browser.get("/workplace/kiosk/")
    assert page.status_code == 200 and b"data-capture" in page.content
    assert b'id="logout"' not in page.content and b"navbar" not in page.content  # punch only
    issued = browser.post("/workplace/kiosk/challenge/").json()
    assert issued["step"] == "blink"
    answer = browser.post(
        "/workplace/kiosk/frames/", {"challenge": issued["id"], **recorded(blink, clock)}
    )
    assert answer.json() == {"passed": True, "name": "김민지", "department": "영업부"}
    assert Punch.objects.count() == 0  # not before the member confirms

    punched = browser.post("/workplace/kiosk/punch/", {"challenge": issued["id"]})
    body = punched.json()
    assert punched.status_code == 200 and (body["name"], body["direction"]) == ("김민지", "in")
    assert body["hours_today"] == 0.0
    again = browser.post("/workplace/kiosk/punch/", {"challenge": issued["id"]})
    assert again.status_code == 400 and again.json()["code"] == "face_not_confirmed"
    punch = Punch.objects.get()
    assert (punch.member, punch.method, punch.device) == (minji, "face", kiosk[0])
    # A challenge issued to this kiosk cannot be answered or used from another one.
    other = kiosk_browser(services.kiosk_create(name="Back door")[1])
    second = browser.post("/workplace/kiosk/challenge/").json()["id"]
    stolen = other.post("/workplace/kiosk/frames/", {"challenge": second, **recorded(blink, clock)})
    assert stolen.json()["passed"] is False
    events = AuditEvent.objects.filter(event__startswith="kiosk").values_list("event", "success")
    assert ("kiosk_identify", True) in set(events) and ("kiosk_enter", False) in set(events)

    services.kiosk_revoke(device=kiosk[0])
    refused = browser.post("/workplace/kiosk/challenge/")
    assert refused.status_code == 401 and refused.json()["code"] == "kiosk_key"
    assert b'name="key"' in browser.get("/workplace/kiosk/").content  # set up again


def test_the_device_api_punches_with_a_challenge_or_where_liveness_is_off_an_image(
    minji: Member, kiosk: tuple[KioskDevice, str], blink: list[bytes], look: list[bytes],
    clock: FrozenClock, settings: SettingsWrapper, astronaut: RGBImage,
) -> None:  # fmt: skip
    from tests.conftest import encode

    device = Client(headers={"X-Device-Key": kiosk[1]})
    assert Client().post("/api/v1/workplace/punch", {"challenge": "x"}).status_code == 401
    wrong = Client(headers={"X-Device-Key": "pkk_nope"}).post("/api/v1/workplace/challenges")
    assert wrong.status_code == 401 and wrong.json()["code"] == "unauthorized"

    issued = device.post("/api/v1/workplace/challenges")
    assert issued.status_code == 201
    challenge_id = issued.json()["id"]
    answered = device.post(
        f"/api/v1/workplace/challenges/{challenge_id}/frames", recorded(blink, clock)
    ).json()
    assert (answered["passed"], answered["member"], answered["name"]) == (True, "minji", "김민지")
    punched = device.post("/api/v1/workplace/punch", {"challenge": challenge_id})
    body = punched.json()
    assert punched.status_code == 200 and (body["member"], body["direction"]) == ("minji", "in")
    reused = device.post("/api/v1/workplace/punch", {"challenge": challenge_id}).json()
    assert (reused["member"], reused["direction"]) == (None, None)

    photo = {"image": encode_file(look[0])}
    needs_liveness = device.post("/api/v1/workplace/punch", photo)
    assert needs_liveness.status_code == 400
    assert needs_liveness.json()["code"] == "liveness_required"
    both = device.post("/api/v1/workplace/punch", {"challenge": "x", **photo})
    assert both.status_code == 422

    settings.PEEKA_LIVENESS = False
    out = device.post("/api/v1/workplace/punch", {"image": encode_file(look[0])}).json()
    assert (out["member"], out["direction"]) == ("minji", "out")
    stranger = device.post("/api/v1/workplace/punch", {"image": encode_file(encode(astronaut))})
    assert stranger.status_code == 200 and stranger.json()["member"] is None
    broken = device.post("/api/v1/workplace/punch", {"image": encode_file(b"not a picture")})
    assert broken.status_code == 400 and broken.json()["code"] != ""
    assert Punch.objects.count() == 2

    services.kiosk_revoke(device=kiosk[0])
    assert device.post("/api/v1/workplace/challenges").status_code == 401


def encode_file(data: bytes) -> object:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("frame.jpg", data, "image/jpeg")


def test_the_pin_fallback_is_throttled_locked_and_records_why(
    kiosk: tuple[KioskDevice, str], clock: FrozenClock
) -> None:
    user = User.objects.create_user("junho", password=PASSWORD)
    member = member_create(
        user=user,
        employee_number="E002",
        name="이준호",
        department=department_create(name="HR", code="hr"),
        hire_date=dt.date(2020, 1, 2),
    )
    for weak, code in [("12345", "pin_invalid"), ("111111", "pin_weak"), ("345678", "pin_weak"),
                       ("98765432", "pin_weak"), ("12ab56", "pin_invalid")]:  # fmt: skip
        with pytest.raises(services.KioskError) as refused:
            services.pin_set(member=member, pin=weak, client=CLIENT)
        assert refused.value.code == code
    browser = kiosk_browser(kiosk[1])

    def pin(number: str, secret: str, reason: str = "camera") -> tuple[int, dict[str, object]]:
        response = browser.post(
            "/workplace/kiosk/pin/", {"number": number, "pin": secret, "reason": reason}
        )
        return response.status_code, response.json()

    assert pin("E002", "204816")[1]["code"] == "pin_wrong"  # no PIN set yet
    services.pin_set(member=member, pin="204816", client=CLIENT)
    assert pin("E002", "204816", reason="")[1]["code"] == "pin_reason"
    status, body = pin("e002", "204816")
    assert status == 200 and (body["name"], body["direction"]) == ("이준호", "in")
    punch = Punch.objects.get()
    assert (punch.method, punch.fallback, punch.device) == ("pin", "camera", kiosk[0])

    # Wrong PINs: a wait after 3, for a member and for a number nobody has alike.
    for number in ("E002", "E999"):
        answers = [pin(number, "000001")[0] for _ in range(4)]
        assert answers == [400, 400, 400, 429], number
    assert pin("E002", "204816")[0] == 429  # the right PIN waits too
    clock.now += 31
    assert pin("E002", "204816")[0] == 200  # and then works, resetting the count
    for _ in range(10):
        clock.now += 3600
        pin("E002", "999999")
    clock.now += 3600
    status, body = pin("E002", "204816")
    assert status == 429 and body["code"] == "pin_disabled"
    services.pin_set(member=member, pin="204817", client=CLIENT)  # a new PIN unlocks
    assert pin("E002", "204817")[0] == 200
    reasons = set(AuditEvent.objects.filter(event="kiosk_pin").values_list("success", "reason"))
    assert {(True, "camera"), (False, "bad_credentials"), (False, "no_pin")} <= reasons
    assert (False, "pin_disabled") in reasons and (False, "throttled") in reasons


def test_members_punch_from_their_page_with_a_face_check(
    minji: Member,
    blink: list[bytes],
    clock: FrozenClock,
) -> None:
    anonymous = Client().get("/workplace/attendance/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    outsider = logged_in(User.objects.create_user("visitor", password=PASSWORD))
    assert outsider.get("/workplace/attendance/").status_code == 403
    assert outsider.post("/workplace/attendance/challenge/").status_code == 403

    browser = logged_in(minji.user)
    page = browser.get("/workplace/attendance/")
    assert page.status_code == 200 and page.context["today"].clocked_in is False
    issued = browser.post("/workplace/attendance/challenge/").json()
    answer = browser.post(
        "/workplace/attendance/frames/", {"challenge": issued["id"], **recorded(blink, clock)}
    ).json()
    assert (answer["passed"], answer["direction"]) == (True, "in")
    punch = Punch.objects.get()
    assert (punch.method, punch.device) == ("face", None)
    assert browser.get("/workplace/attendance/").context["today"].clocked_in is True
    # Setting the kiosk PIN asks for a fresh check of the account first.
    assert "/accounts/step-up/" in browser.get("/workplace/attendance/pin/")["Location"]
    fresh = reauthenticated(minji.user)
    weak = fresh.post("/workplace/attendance/pin/", {"pin": "123456"})
    assert weak.status_code == 400
    assert fresh.post("/workplace/attendance/pin/", {"pin": "604218"}).status_code == 302


def test_a_kiosk_is_registered_in_the_admin_after_a_step_up_and_its_key_shown_once(
    clock: FrozenClock,
) -> None:
    from tests.accounts.test_mfa import with_totp

    root = User.objects.create_superuser("root", password=PASSWORD)
    with_totp(root, clock)
    refused = logged_in(root).post("/admin/attendance/kioskdevice/add/", {"name": "Lobby"})
    assert refused["Location"].startswith("/accounts/step-up/")
    assert not KioskDevice.objects.exists()
    admin = reauthenticated(root)
    page = admin.post("/admin/attendance/kioskdevice/add/", {"name": "Lobby"})
    key = page.context["key"]
    assert page.status_code == 200 and key in page.text and key.startswith("pkk_")
    assert key not in admin.get("/admin/attendance/kioskdevice/").text
    assert kiosk_browser(key).get("/workplace/kiosk/").status_code == 200
