"use strict";
// The attendance kiosk: a face check (1:N with liveness) through the capture component →
// the member confirms the name → the punch, with hours today; or employee number and PIN.
// After each punch the screen returns to the start for the next person.
(() => {
  const root = document.getElementById("kiosk");
  const urls = root.dataset;
  const $ = (id) => document.getElementById(id);
  const confirmBox = $("kiosk-confirm");
  const result = $("kiosk-result");
  const RESULT_MS = 8000;
  const CONFIRM_MS = 20000;
  let challenge = "";
  let confirmTimer = 0;

  const timeOf = (iso) => new Date(iso).toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
  const tick = () => { $("kiosk-clock").textContent = timeOf(new Date().toISOString()); };
  tick();
  window.setInterval(tick, 10000);

  const capture = Peeka.capture(async (component) => {
    hideResult();
    const verdict = await component.liveCheck({
      challengeUrl: urls.challengeUrl, challengeFields: {}, sendUrl: urls.framesUrl, fields: {},
    });
    if (!verdict.passed) {
      component.fail(verdict.hint || verdict.message || gettext("Not recognised. Try again, or use your employee number and PIN."), verdict.retryAfter);
      return;
    }
    challenge = verdict.challenge;
    component.succeed(gettext("Please confirm your name."));
    // Translators: asked at the kiosk after a face check; %(name)s is the member found
    $("confirm-question").textContent = interpolate(gettext("Are you %(name)s?"), { name: verdict.name }, true);
    $("confirm-department").textContent = verdict.department;
    confirmBox.hidden = false;
    $("confirm-yes").focus();
    confirmTimer = window.setTimeout(() => startOver(), CONFIRM_MS);
  });

  function startOver() {
    window.clearTimeout(confirmTimer);
    challenge = "";
    confirmBox.hidden = true;
    capture.reset();
  }

  function hideResult() { result.hidden = true; }

  function showPunched(body) {
    const title = body.direction === "in"
      // Translators: the kiosk's answer after a punch; %(name)s is the member, %(time)s like 09:02
      ? interpolate(gettext("%(name)s, you are in at %(time)s."), { name: body.name, time: timeOf(body.at) }, true)
      : interpolate(gettext("%(name)s, you are out at %(time)s."), { name: body.name, time: timeOf(body.at) }, true);
    $("result-title").textContent = title;
    // Translators: %(hours)s is a number of hours with one decimal, e.g. 7.5
    $("result-text").textContent = interpolate(gettext("Hours today: %(hours)s"), { hours: body.hours_today.toFixed(1) }, true);
    result.dataset.direction = body.direction;
    result.hidden = false;
    window.setTimeout(hideResult, RESULT_MS);
  }

  $("confirm-yes").addEventListener("click", async () => {
    window.clearTimeout(confirmTimer);
    $("confirm-yes").disabled = true;
    const { status, body } = await Peeka.post(urls.punchUrl, Peeka.formOf({ challenge }));
    $("confirm-yes").disabled = false;
    confirmBox.hidden = true;
    challenge = "";
    if (status === 200) {
      showPunched(body);
      capture.reset();
    } else {
      capture.fail(body.message || gettext("Something went wrong. Try again."));
    }
  });
  $("confirm-no").addEventListener("click", startOver);

  $("pin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const error = $("pin-error");
    error.textContent = "";
    if (!form.reportValidity()) return;
    $("pin-submit").disabled = true;
    const { status, body } = await Peeka.post(urls.pinUrl, new FormData(form));
    $("pin-submit").disabled = false;
    if (status === 200) {
      form.reset();
      showPunched(body);
      $("kiosk-pin").open = false;
      return;
    }
    $("pin-pin").value = "";
    error.textContent = body.message || gettext("Something went wrong. Try again.");
  });
})();
