// The wait of a throttled page, counted down: the server names the seconds in
// data-retry-after (its Retry-After); until they are over the page's forms cannot be sent,
// then a polite status says the user can try again. Strings from Django's JavaScript catalog.
"use strict";

window.PeekaCountdown = window.PeekaCountdown || (() => {
  function clockText(seconds) {
    const minutes = Math.floor(seconds / 60);
    const rest = String(seconds % 60).padStart(2, "0");
    // Translators: %(time)s is minutes:seconds, e.g. 0:27
    return interpolate(gettext("Try again in %(time)s"), { time: `${minutes}:${rest}` }, true);
  }

  function submitButtons(element) {
    const scope = element.closest("main") || document;
    return Array.from(scope.querySelectorAll("form[method=post], form[method=POST]"))
      .flatMap((form) => Array.from(form.querySelectorAll("button:not([type=button]), input[type=submit]")));
  }

  function start(element) {
    if (element.dataset.countdownStarted) return;
    const total = parseInt(element.dataset.retryAfter, 10);
    if (!(total > 0)) return;
    element.dataset.countdownStarted = "1";
    const clock = element.querySelector(".countdown-clock") || element;
    const status = element.querySelector(".countdown-status");
    // The sentence above names the wait as it was when the page was made; the clock now does.
    const alert = element.parentElement && element.parentElement.querySelector("[data-wait-message]");
    if (alert) alert.textContent = alert.dataset.waitMessage;
    const buttons = submitButtons(element);
    for (const button of buttons) button.disabled = true;
    const deadline = performance.now() + total * 1000;
    let timer = 0;
    const tick = () => {
      const left = Math.ceil((deadline - performance.now()) / 1000);
      if (left > 0) {
        clock.textContent = clockText(left);
        return;
      }
      window.clearInterval(timer);
      for (const button of buttons) button.disabled = false;
      clock.textContent = "";
      if (status) {
        status.textContent = gettext("You can try again now.");
        status.classList.remove("visually-hidden");
      } else {
        clock.textContent = gettext("You can try again now.");
      }
      element.classList.add("countdown-done");
    };
    timer = window.setInterval(tick, 250);
    tick();
  }

  function init(root) {
    for (const element of (root || document).querySelectorAll("[data-retry-after]")) start(element);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => init(document));
  } else {
    init(document);
  }
  return { init };
})();
