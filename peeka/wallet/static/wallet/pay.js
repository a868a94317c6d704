"use strict";
// The payer's face check of a held payment: each step of a live check goes to the server,
// which posts the payment when the check passes (or voids the hold when it fails).
(() => {
  const form = document.getElementById("pay-form");
  Peeka.capture(async (capture) => {
    const verdict = await capture.liveCheck({
      challengeUrl: form.dataset.challengeUrl, challengeFields: {},
      sendUrl: form.dataset.framesUrl, fields: {},
    });
    if (!verdict.passed) {
      capture.fail(verdict.message || verdict.hint || gettext("Not recognised. Try again."), verdict.retryAfter);
      return;
    }
    capture.succeed(gettext("Paid."));
    window.setTimeout(() => window.location.assign(verdict.receipt), 800);
  });
})();
