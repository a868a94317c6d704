"use strict";
// The member's own punch: a face check of the signed-in member, then the page reloads with
// the new state.
(() => {
  const form = document.getElementById("punch-form");
  Peeka.capture(async (capture) => {
    const verdict = await capture.liveCheck({
      challengeUrl: form.dataset.challengeUrl, challengeFields: {}, sendUrl: form.dataset.framesUrl, fields: {},
    });
    if (!verdict.passed) {
      capture.fail(verdict.hint || verdict.message || gettext("Not recognised. Try again."), verdict.retryAfter);
      return;
    }
    capture.succeed(verdict.direction === "in" ? gettext("You are in.") : gettext("You are out."));
    window.setTimeout(() => window.location.reload(), 1200);
  });
})();
