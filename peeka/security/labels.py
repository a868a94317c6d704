"""The audit log's codes in words, for the admin and for a user's own sign-in activity: a title
for each `AuditEvent.event` (by outcome) and a label for each `AuditEvent.reason`.

The codes stay the stable record (filters and the CSV export use them); these words are only
how they are shown, in the reader's language. Every code the code base writes has an entry
here (tests/security/test_labels.py reads the source to make sure); a code without one, from an
older or a newer version, still shows as a readable form of itself."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

# The title of an event: (when it succeeded, when it was refused or failed).
EVENTS: dict[str, tuple[Promise, Promise]] = {
    # Sign-in: each factor, and the completed login.
    "login": (gettext_lazy("Signed in"), gettext_lazy("Sign-in refused")),
    "password_login": (gettext_lazy("Password accepted"), gettext_lazy("Password refused")),
    "totp": (
        gettext_lazy("Authenticator code accepted"),
        gettext_lazy("Authenticator code refused"),
    ),
    "recovery_code": (gettext_lazy("Recovery code used"), gettext_lazy("Recovery code refused")),
    "face_login": (gettext_lazy("Face login accepted"), gettext_lazy("Face login refused")),
    "face_login_1n": (
        gettext_lazy("Face login without a name accepted"),
        gettext_lazy("Face login without a name refused"),
    ),
    "challenge_login": (
        gettext_lazy("Face login check started"),
        gettext_lazy("Face login check not started"),
    ),
    "liveness_login": (gettext_lazy("Face login accepted"), gettext_lazy("Face login refused")),
    # Step-up: proving presence again before a sensitive action.
    "step_up": (gettext_lazy("Identity confirmed"), gettext_lazy("Identity confirmation refused")),
    "challenge_stepup": (
        gettext_lazy("Face confirmation started"),
        gettext_lazy("Face confirmation not started"),
    ),
    "liveness_stepup": (
        gettext_lazy("Identity confirmed by face"),
        gettext_lazy("Face confirmation refused"),
    ),
    # The account and its factors.
    "register": (gettext_lazy("Account created"), gettext_lazy("Registration refused")),
    "password_change": (
        gettext_lazy("Password changed"),
        gettext_lazy("Password change refused"),
    ),
    "password_reset_request": (
        gettext_lazy("Password reset link sent"),
        gettext_lazy("Password reset link not sent"),
    ),
    "password_reset": (
        gettext_lazy("Password reset by e-mail"),
        gettext_lazy("Password reset refused"),
    ),
    "password_temporary": (
        gettext_lazy("Temporary password set"),
        gettext_lazy("Temporary password refused"),
    ),
    "account_delete": (gettext_lazy("Account deleted"), gettext_lazy("Account deletion refused")),
    "totp_setup": (
        gettext_lazy("Authenticator app set up"),
        gettext_lazy("Authenticator app setup refused"),
    ),
    "totp_remove": (
        gettext_lazy("Authenticator app removed"),
        gettext_lazy("Authenticator app removal failed"),
    ),
    "recovery_codes": (
        gettext_lazy("New recovery codes made"),
        gettext_lazy("New recovery codes refused"),
    ),
    "token_create": (
        gettext_lazy("Personal access token created"),
        gettext_lazy("Personal access token not created"),
    ),
    "token_revoke": (
        gettext_lazy("Personal access token revoked"),
        gettext_lazy("Personal access token not revoked"),
    ),
    # Face data on the web pages.
    "enroll": (gettext_lazy("Face enrolled"), gettext_lazy("Face enrollment failed")),
    "challenge_enroll": (
        gettext_lazy("Face enrollment check started"),
        gettext_lazy("Face enrollment check not started"),
    ),
    "liveness_enroll": (
        gettext_lazy("Face enrollment check passed"),
        gettext_lazy("Face enrollment check failed"),
    ),
    "template_delete": (gettext_lazy("Face data deleted"), gettext_lazy("Face data not deleted")),
    "admin_enroll": (
        gettext_lazy("Face enrolled from an administrator's photos"),
        gettext_lazy("Face enrollment from an administrator's photos failed"),
    ),
    # The workplace.
    "members_import": (gettext_lazy("Members imported"), gettext_lazy("Members import failed")),
    "members_export": (gettext_lazy("Members exported"), gettext_lazy("Members export failed")),
    # The API, on behalf of another application.
    "api_enroll": (gettext_lazy("API: subject enrolled"), gettext_lazy("API: enrollment failed")),
    "api_verify": (
        gettext_lazy("API: face verified"),
        gettext_lazy("API: face verification refused"),
    ),
    "api_identify": (
        gettext_lazy("API: face identified"),
        gettext_lazy("API: face not identified"),
    ),
    "api_delete": (gettext_lazy("API: subject deleted"), gettext_lazy("API: deletion failed")),
    "challenge_api": (
        gettext_lazy("API: liveness check started"),
        gettext_lazy("API: liveness check not started"),
    ),
    "liveness_api": (
        gettext_lazy("API: liveness check passed"),
        gettext_lazy("API: liveness check failed"),
    ),
    # The interview coach: a passive check that the candidate is still the account holder.
    "challenge_interview": (
        gettext_lazy("Mock interview: face check started"),
        gettext_lazy("Mock interview: face check not started"),
    ),
    "liveness_interview": (
        gettext_lazy("Mock interview: face checked live"),
        gettext_lazy("Mock interview: live face check failed"),
    ),
    "presence_interview": (
        gettext_lazy("Interview identity check passed"),
        gettext_lazy("Interview identity check failed"),
    ),
    # A spoken answer written down by the LLM server (only a throttled one is audited).
    "transcribe_interview": (
        gettext_lazy("Mock interview: spoken answer written down"),
        gettext_lazy("Mock interview: spoken answer refused"),
    ),
    # The workplace: the kiosk and punches (`peeka.workplace.attendance`).
    "challenge_kiosk": (
        gettext_lazy("Kiosk: face check started"),
        gettext_lazy("Kiosk: face check not started"),
    ),
    "liveness_kiosk": (
        gettext_lazy("Kiosk: face recognised"),
        gettext_lazy("Kiosk: face not recognised"),
    ),
    "kiosk_identify": (
        gettext_lazy("Kiosk: punch confirmed by face"),
        gettext_lazy("Kiosk: punch by face refused"),
    ),
    "kiosk_enter": (
        gettext_lazy("Screen set up as a kiosk"),
        gettext_lazy("Wrong kiosk device key"),
    ),
    "kiosk_pin": (gettext_lazy("Kiosk: punch by PIN"), gettext_lazy("Kiosk: PIN refused")),
    "kiosk_pin_set": (gettext_lazy("Kiosk PIN set"), gettext_lazy("Kiosk PIN not set")),
    "challenge_punch": (
        gettext_lazy("Punch: face check started"),
        gettext_lazy("Punch: face check not started"),
    ),
    "liveness_punch": (
        gettext_lazy("Punch confirmed by face"),
        gettext_lazy("Punch by face refused"),
    ),
    "alert_acknowledge": (
        gettext_lazy("Security alert acknowledged"),
        gettext_lazy("Security alert not acknowledged"),
    ),
    # Electronic approval: a decision signed after a live face check.
    "challenge_approval": (
        gettext_lazy("Approval: face check started"),
        gettext_lazy("Approval: face check not started"),
    ),
    "liveness_approval": (
        gettext_lazy("Approval signed with face"),
        gettext_lazy("Approval face check refused"),
    ),
    # The wallet: payments confirmed by a live face check, the PIN, top-ups.
    "challenge_payment": (
        gettext_lazy("Payment: face check started"),
        gettext_lazy("Payment: face check not started"),
    ),
    "liveness_payment": (
        gettext_lazy("Payment confirmed with face"),
        gettext_lazy("Payment face check refused"),
    ),
    "challenge_payment_api": (
        gettext_lazy("Payment (API): face check started"),
        gettext_lazy("Payment (API): face check not started"),
    ),
    "liveness_payment_api": (
        gettext_lazy("Payment (API): face check passed"),
        gettext_lazy("Payment (API): face check refused"),
    ),
    "face_vouch": (
        gettext_lazy("Passed face check used"),
        gettext_lazy("No passed face check to use"),
    ),
    "payment": (gettext_lazy("Payment made"), gettext_lazy("Payment refused")),
    "wallet_pin": (gettext_lazy("Wallet PIN accepted"), gettext_lazy("Wallet PIN refused")),
    "wallet_pin_set": (gettext_lazy("Wallet PIN set"), gettext_lazy("Wallet PIN not set")),
    "wallet_topup": (gettext_lazy("Wallet topped up"), gettext_lazy("Wallet top-up refused")),
    # Notices, messages and the calendar.
    "post_delete": (gettext_lazy("Post deleted"), gettext_lazy("Post not deleted")),
    "message_send": (gettext_lazy("Message sent"), gettext_lazy("Message refused")),
    "calendar_event_update": (
        gettext_lazy("Calendar event changed"),
        gettext_lazy("Calendar event change refused"),
    ),
    "calendar_event_delete": (
        gettext_lazy("Calendar event deleted"),
        gettext_lazy("Calendar event not deleted"),
    ),
    "calendar_feed_reset": (
        gettext_lazy("Calendar feed link renewed"),
        gettext_lazy("Calendar feed link not renewed"),
    ),
    "calendar_feed_delete": (
        gettext_lazy("Calendar feed link turned off"),
        gettext_lazy("Calendar feed link not turned off"),
    ),
}

# The login factors and step-up methods, as words inside a combination ("face + password").
FACTORS: dict[str, Promise] = {
    "password": pgettext_lazy("login factor", "password"),
    "face": pgettext_lazy("login factor", "face"),
    "totp": pgettext_lazy("login factor", "authenticator app"),
    "recovery": pgettext_lazy("login factor", "recovery code"),
    "code": pgettext_lazy("login factor", "password + one-time code"),
}
FACTOR_EVENTS = frozenset({"login", "step_up"})
"""Events whose reason names the factors used (`mfa.factor_passed`, `mfa.mark_stepped_up`)."""

REASONS: dict[str, Promise] = {
    "ok": gettext_lazy("Passed"),
    "issued": gettext_lazy("Check issued"),
    "bad_credentials": gettext_lazy("Wrong password or code"),
    # Passwords (`peeka.accounts.services`).
    "admin": gettext_lazy("By an administrator"),
    "temporary": gettext_lazy("Replaced a temporary password"),
    "unknown_address": gettext_lazy("No account with this e-mail address"),
    "csv": gettext_lazy("As a CSV file"),
    "members_csv_invalid": gettext_lazy("The file had problems; nothing was imported"),
    "kiosk_invalid": gettext_lazy("Kiosk name not valid"),
    "kiosk_exists": gettext_lazy("A kiosk with that name exists"),
    "punch_invalid": gettext_lazy("Punch not valid"),
    "demo_exists": gettext_lazy("The demo company exists already"),
    "leave_invalid": gettext_lazy("Leave entry not valid"),
    # Personal access tokens (`peeka.accounts.tokens`): the scope, or why one was refused.
    "wallet": pgettext_lazy("personal access token scope", "Wallet"),
    "token_invalid": gettext_lazy("Personal access token not valid"),
    "token_name": gettext_lazy("Token name missing or too long"),
    "token_scope": gettext_lazy("Unknown token scope"),
    "token_days": gettext_lazy("Token lifetime not valid"),
    "token_account": gettext_lazy("Account cannot have tokens"),
    "token_not_found": gettext_lazy("No such token"),
    # The wallet (`peeka.wallet`): how a payment or top-up was made, or why it was refused.
    "face+pin": gettext_lazy("Face and wallet PIN"),
    "operator": gettext_lazy("By an operator"),
    "card": gettext_lazy("By card"),
    "cancelled": gettext_lazy("Cancelled by the payer"),
    "face_not_verified": gettext_lazy("Face not verified"),
    "no_face_check": gettext_lazy("No face check sent"),
    "insufficient_funds": gettext_lazy("Not enough money"),
    "invalid_amount": gettext_lazy("Amount not valid"),
    "invalid_currency": gettext_lazy("Currency not supported"),
    "currency_mismatch": gettext_lazy("Another currency"),
    "invalid_request": gettext_lazy("Request not valid"),
    "same_account": gettext_lazy("Payment to oneself"),
    "payee_not_found": gettext_lazy("Payee not found or closed"),
    "payee_closed": gettext_lazy("Payee's wallet closed"),
    "account_closed": gettext_lazy("Wallet closed"),
    "request_invalid": gettext_lazy("Not a Peeka payment code"),
    "request_expired": gettext_lazy("Payment code expired"),
    "request_used": gettext_lazy("Payment code used already"),
    "hold_voided": gettext_lazy("Hold cancelled before the face check"),
    "pin_required": gettext_lazy("Wallet PIN needed"),
    "not_found": gettext_lazy("Not found"),
    "idempotency_conflict": gettext_lazy("Idempotency key used for another request"),
    "idempotency_in_progress": gettext_lazy("Same request still running"),
    "idempotency_key_invalid": gettext_lazy("Idempotency key not valid"),
    "topup_limit": gettext_lazy("Over the top-up limit"),
    "topup_daily_limit": gettext_lazy("Over the daily top-up limit"),
    "card_declined": gettext_lazy("Card declined"),
    "card_insufficient_funds": gettext_lazy("Card has no money"),
    "card_invalid": gettext_lazy("Card number not valid"),
    "wallet_error": gettext_lazy("Wallet request refused"),
    # The interview coach's reviews (`peeka.coach`).
    "review_forbidden": gettext_lazy("Not the review's author"),
    "review_invalid": gettext_lazy("Review not valid"),
    "review_reported": gettext_lazy("Review reported already"),
    "too_few_forms": gettext_lazy("Too few questions"),
    # The interview coach's practice (`peeka.coach.services.practice`, `.interviews`).
    "answer_empty": gettext_lazy("Empty answer"),
    "answer_too_long": gettext_lazy("Answer too long"),
    "forbidden": gettext_lazy("Not the owner"),
    "no_such_question": gettext_lazy("No such question"),
    "interview_not_answered": gettext_lazy("Last question not answered"),
    "interview_not_running": gettext_lazy("Interview not going on"),
    "interview_order": gettext_lazy("Not the question on screen"),
    "interview_questions": gettext_lazy("Wrong number of questions"),
    "interview_seconds": gettext_lazy("Time per question out of range"),
    "interview_started": gettext_lazy("Interview already begun"),
    "audio_empty": gettext_lazy("Empty recording"),
    "audio_too_large": gettext_lazy("Recording too large"),
    "audio_type": gettext_lazy("Recording format not allowed"),
    # Throttles and lockouts (`peeka.security.services`).
    "throttled": gettext_lazy("Too many failed attempts: waiting time"),
    "rate_limited": gettext_lazy("Too many requests from this address"),
    "face_login_disabled": gettext_lazy("Face login off after too many failures"),
    "codes_disabled": gettext_lazy("One-time codes off after too many failures"),
    "password_disabled": gettext_lazy("Password locked after too many failures"),
    # The liveness checks (`peeka.biometrics.challenge`).
    "expired": gettext_lazy("The check took too long"),
    "reused": gettext_lazy("The check was already over or answered"),
    "frames": gettext_lazy("Recording missing, or not camera pictures"),
    "timestamps": gettext_lazy("Recording times not plausible"),
    "too_fast": gettext_lazy("Faster than a person can react (possible replay)"),
    "too_slow": gettext_lazy("Answered too late"),
    "clock": gettext_lazy("Recording ran at the wrong speed (possible replay)"),
    "duplicates": gettext_lazy("Same picture repeated (possible photo or replay)"),
    "face": gettext_lazy("No face, or several faces, in the picture"),
    "face_jump": gettext_lazy("The face jumped between pictures (possible cut)"),
    "steps": gettext_lazy("The requested movement was not seen"),
    "hand": gettext_lazy("The hand did not move like a real hand (possible photo)"),
    "face_changed": gettext_lazy("A different face appeared during the check"),
    "next_step": gettext_lazy("Step passed, next step shown"),
    "challenge_not_found": gettext_lazy("No such check"),
    "liveness_not_passed": gettext_lazy("No passed liveness check"),
    # Matching (`peeka.faces.services.matching`, `peeka.faces.flows`).
    "no_match": gettext_lazy("The face did not match"),
    "ambiguous": gettext_lazy("Several people matched"),
    "unknown_user": gettext_lazy("No account with this name"),
    "no_template": gettext_lazy("No face enrolled"),
    "wrong_user": gettext_lazy("Another person's face"),
    # The picture (`peeka.errors`, `peeka.biometrics`).
    "peeka_error": gettext_lazy("Error"),
    "image_error": gettext_lazy("Not a usable picture"),
    "image_empty": gettext_lazy("Empty picture"),
    "image_unsupported": gettext_lazy("Not a picture format Peeka reads"),
    "image_corrupt": gettext_lazy("Damaged picture"),
    "image_too_large": gettext_lazy("Picture too large"),
    "image_not_found": gettext_lazy("Picture file not found"),
    "image_unreadable": gettext_lazy("Picture file not readable"),
    "video_unreadable": gettext_lazy("Video not readable"),
    "face_error": gettext_lazy("Face not usable"),
    "no_face": gettext_lazy("No face found"),
    "multiple_faces": gettext_lazy("Several faces in the picture"),
    "face_quality": gettext_lazy("Face picture quality too low"),
    "face_too_small": gettext_lazy("Face too small"),
    "face_blurry": gettext_lazy("Face blurry"),
    "face_too_dark": gettext_lazy("Face too dark"),
    "face_too_bright": gettext_lazy("Face overexposed"),
    "face_pose": gettext_lazy("Head turned or tilted"),
    "enrollment_failed": gettext_lazy("Too few usable pictures"),
    "invalid_timestamps": gettext_lazy("Recording times not valid"),
    # The engine, templates and keys (`peeka.protection`).
    "model_unavailable": gettext_lazy("Face model not available"),
    "model_mismatch": gettext_lazy("Template made with another face model"),
    "template_outdated": gettext_lazy("Template outdated"),
    "template_invalid": gettext_lazy("Template damaged"),
    "template_tampered": gettext_lazy("Template altered (possible tampering)"),
    "vault_error": gettext_lazy("Key vault error"),
    "vault_insecure": gettext_lazy("Key vault not secure"),
    "key_unknown": gettext_lazy("Template key missing"),
    "unwrap_failed": gettext_lazy("Template key could not be opened"),
    "calibration_invalid": gettext_lazy("Calibration not valid"),
    "dataset_invalid": gettext_lazy("Dataset not valid"),
    # A refused registration form (its fields' error codes, joined with "+").
    "required": gettext_lazy("A required field was empty"),
    "invalid": gettext_lazy("A value was not valid"),
    "max_length": gettext_lazy("A value was too long"),
    "username_taken": gettext_lazy("Name taken"),
    "unique": gettext_lazy("Already in use"),
    "password_mismatch": gettext_lazy("The passwords did not match"),
    "password_incorrect": gettext_lazy("Wrong current password"),
    "password_too_similar": gettext_lazy("Password too similar to the name"),
    "password_too_short": gettext_lazy("Password too short"),
    "password_too_common": gettext_lazy("Password too common"),
    "password_entirely_numeric": gettext_lazy("Password only digits"),
    # The workplace (`peeka.workplace.*`).
    "bad_key": gettext_lazy("Wrong device key"),
    "face_failures": gettext_lazy("Failed face attempts"),
    "approval_invalid": gettext_lazy("Approval not valid"),
    "comment_required": gettext_lazy("No reason given for the rejection"),
    "comment_too_long": gettext_lazy("Comment too long"),
    "correction_date": gettext_lazy("Correction outside the allowed days"),
    "decision_invalid": gettext_lazy("Neither approve nor reject"),
    "document_choice": gettext_lazy("Not one of the options"),
    "document_date": gettext_lazy("Not a valid date or time"),
    "document_invalid": gettext_lazy("Document not valid"),
    "document_locked": gettext_lazy("Document locked (not a draft)"),
    "document_number": gettext_lazy("Not a whole number"),
    "document_required": gettext_lazy("A required field was empty"),
    "document_state": gettext_lazy("Not allowed in the document's state"),
    "document_title": gettext_lazy("Title not valid"),
    "document_too_long": gettext_lazy("A value was too long"),
    "form_unavailable": gettext_lazy("Form not in use"),
    "leave_balance": gettext_lazy("Not enough leave left"),
    "leave_cancelled": gettext_lazy("Leave cancelled already"),
    "leave_dates": gettext_lazy("Leave dates not valid"),
    "leave_no_working_day": gettext_lazy("No working day in the dates"),
    "leave_started": gettext_lazy("Leave started already"),
    "leave_type": gettext_lazy("Unknown type of leave"),
    "line_invalid": gettext_lazy("Approval line not valid"),
    "not_drafter": gettext_lazy("Not the drafter"),
    "not_your_turn": gettext_lazy("Not this approver's turn"),
    "schedule_span": gettext_lazy("Schedule times not valid"),
    "schedule_thresholds": gettext_lazy("Schedule thresholds not valid"),
    "workdays": gettext_lazy("Workdays not valid"),
    "lockouts": gettext_lazy("Lockouts"),
    "face_not_confirmed": gettext_lazy("No passed face check to punch with"),
    "liveness_required": gettext_lazy("A liveness check is needed"),
    "no_pin": gettext_lazy("No kiosk PIN set"),
    "pin_disabled": gettext_lazy("Kiosk PIN locked"),
    "pin_invalid": gettext_lazy("Not a valid PIN"),
    "pin_reason": gettext_lazy("No reason given for not using the face"),
    "pin_weak": gettext_lazy("PIN too easy to guess"),
    "pin_wrong": gettext_lazy("Wrong employee number or PIN"),
    "attachment_content": gettext_lazy("Attachment content does not match its type"),
    "attachment_empty": gettext_lazy("Empty attachment"),
    "attachment_invalid": gettext_lazy("Attachment not valid"),
    "attachment_too_large": gettext_lazy("Attachment too large"),
    "attachment_type": gettext_lazy("Attachment type not allowed"),
    "attachments_too_many": gettext_lazy("Too many attachments"),
    "notice_forbidden": gettext_lazy("Not allowed to post this"),
    "notice_invalid": gettext_lazy("Post not valid"),
    "message_forbidden": gettext_lazy("Not allowed to message this department"),
    "message_invalid": gettext_lazy("Message not valid"),
    "event_forbidden": gettext_lazy("Not allowed to change this calendar"),
    "event_invalid": gettext_lazy("Calendar event not valid"),
    "event_rule_invalid": gettext_lazy("Repeat rule not valid"),
    "event_rule_never": gettext_lazy("Repeat rule gives no date"),
    "event_rule_too_frequent": gettext_lazy("Repeats more often than daily"),
}

LOCKOUT_KINDS: dict[str, Promise] = {
    "face": gettext_lazy("Face login"),
    "otp": gettext_lazy("One-time codes"),
    "password": gettext_lazy("Password"),
    "kiosk_pin": gettext_lazy("Kiosk PIN"),
    "wallet_pin": gettext_lazy("Wallet PIN"),
}
"""`Lockout.kind` (a `LockoutRule.kind`) in words."""

_PURPOSE_EVENTS = ("challenge_", "liveness_")


def has_event_title(event: str) -> bool:
    return event in EVENTS


def has_reason_label(reason: str, *, event: str = "") -> bool:
    """Whether `reason` (each part of a "+"-joined one) has words of its own."""
    known = {*REASONS, *FACTORS} if event in FACTOR_EVENTS or "+" in reason else set(REASONS)
    return all(part in known for part in reason.split("+")) if reason else True


def event_title(event: str, success: bool) -> str:
    """What happened, in the active language ("Face login refused", "Signed in")."""
    titles = EVENTS.get(event)
    if titles is not None:
        return str(titles[0] if success else titles[1])
    readable = _readable(event)
    for prefix in _PURPOSE_EVENTS:
        if event.startswith(prefix) and len(event) > len(prefix):
            # A liveness check of a purpose added later ("approval", "payment").
            purpose = _readable(event.removeprefix(prefix)).lower()
            if prefix == "challenge_":
                text = gettext("Liveness check started (%(purpose)s)")
                if not success:
                    text = gettext("Liveness check not started (%(purpose)s)")
            else:
                text = gettext("Liveness check passed (%(purpose)s)")
                if not success:
                    text = gettext("Liveness check failed (%(purpose)s)")
            return text % {"purpose": purpose}
    if success:
        return readable
    return gettext("%(event)s (failed)") % {"event": readable}


def reason_label(reason: str, *, event: str = "") -> str:
    """Why, in the active language ("Same picture repeated (possible photo or replay)", "Face
    + password"); the code itself when it has no words. With `event` a factor event ("login",
    "step_up"), a reason names the factors used ("face" is then the factor, not the liveness
    check of that name)."""
    if not reason:
        return ""
    parts = reason.split("+")
    factors = event in FACTOR_EVENTS or len(parts) > 1
    if factors and all(part in FACTORS for part in parts):
        words = " + ".join(str(FACTORS[part]) for part in parts)
        return words[:1].upper() + words[1:]
    if len(parts) > 1:
        return "; ".join(reason_label(part) for part in parts if part)
    label = REASONS.get(reason)
    return str(label) if label is not None else reason


def lockout_kind_label(kind: str) -> str:
    label = LOCKOUT_KINDS.get(kind)
    return str(label) if label is not None else _readable(kind)


def _readable(code: str) -> str:
    words = code.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else code
