"use strict";
// An approver's decision: the chosen decision and comment go with each step of a live face
// check; once the check passes the decision is signed and the page shows the result.
(() => {
  const form = document.getElementById("decide-form");
  Peeka.capture(async (capture) => {
    const decision = form.querySelector("input[name=decision]:checked").value;
    const comment = form.querySelector("#comment").value;
    const verdict = await capture.liveCheck({
      challengeUrl: form.dataset.challengeUrl, challengeFields: {},
      sendUrl: form.dataset.framesUrl, fields: { decision, comment },
    });
    if (!verdict.passed) {
      capture.fail(verdict.hint || verdict.message || gettext("Not recognised. Try again."), verdict.retryAfter);
      return;
    }
    capture.succeed(decision === "approved" ? gettext("Approved and signed.") : gettext("Rejected and signed."));
    window.setTimeout(() => window.location.reload(), 1200);
  });
})();
