// Recovery codes as a step of their own (accounts/_codes.html): copy them, download them as a
// .txt file, print only them, and tick "I have saved these" before going on. The codes are
// read from the list (#codes li) when an action runs, so a page may fill it later (the
// enrollment page does, from the server's answer). Strings from Django's JavaScript catalog.
"use strict";

window.PeekaCodes = window.PeekaCodes || (() => {
  const FILE_NAME = "peeka-recovery-codes.txt";

  const pad = (number) => String(number).padStart(2, "0");

  function today() {
    const now = new Date();
    return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  }

  function codesOf(step) {
    return Array.from(step.querySelectorAll("#codes li"), (item) => item.textContent.trim())
      .filter((code) => code);
  }

  function heading(step) {
    return interpolate(
      gettext("Peeka recovery codes for %(account)s at %(site)s, %(date)s"),
      { account: step.dataset.account || "", site: step.dataset.site || window.location.host, date: today() },
      true,
    );
  }

  function say(status, message) {
    // Emptied first, so the same message said twice is announced twice.
    status.textContent = "";
    window.setTimeout(() => { status.textContent = message; }, 50);
  }

  function selectCodes(step) {
    const selection = window.getSelection();
    selection.removeAllRanges();
    const range = document.createRange();
    range.selectNodeContents(step.querySelector("#codes"));
    selection.addRange(range);
  }

  async function copy(step, status) {
    const codes = codesOf(step);
    if (!codes.length) return;
    try {
      await navigator.clipboard.writeText(codes.join("\n"));
      say(status, gettext("Copied."));
    } catch (error) {
      // No clipboard access (an http page, or the browser said no): select the codes instead.
      selectCodes(step);
      let copied = false;
      try { copied = document.execCommand("copy"); } catch (ignored) { copied = false; }
      say(status, copied
        ? gettext("Copied.")
        : gettext("The codes are selected: press Ctrl+C (⌘C on a Mac) to copy them."));
    }
  }

  function download(step, status) {
    const codes = codesOf(step);
    if (!codes.length) return;
    const lines = [
      heading(step),
      gettext("Each code logs you in once, instead of your face or authenticator app. Keep this file somewhere safe."),
      "",
      ...codes,
      "",
    ];
    const blob = new Blob([lines.join("\r\n")], { type: "text/plain;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = FILE_NAME;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
    say(status, interpolate(gettext("Downloaded as %(name)s."), { name: FILE_NAME }, true));
  }

  // Printing shows only the codes: everything beside the path from <body> down to them is
  // hidden for the print (account.css), whether the button or the browser's menu prints.
  function beforePrint(step) {
    // Not shown (yet): the enrollment page keeps the step hidden until the codes arrive.
    if (!step.isConnected || step.getClientRects().length === 0) return;
    const printable = step.querySelector(".codes-printable");
    const header = step.querySelector(".codes-print-header");
    if (header) header.textContent = heading(step);
    for (let node = printable; node && node !== document.body; node = node.parentElement) {
      for (const sibling of node.parentElement.children) {
        if (sibling !== node) sibling.classList.add("codes-print-hide");
      }
    }
  }

  function afterPrint() {
    for (const node of document.querySelectorAll(".codes-print-hide")) {
      node.classList.remove("codes-print-hide");
    }
  }

  function setContinue(control, enabled) {
    if (control.tagName === "A") {
      control.classList.toggle("disabled", !enabled);
      if (enabled) {
        control.removeAttribute("aria-disabled");
        control.removeAttribute("tabindex");
      } else {
        control.setAttribute("aria-disabled", "true");
        control.setAttribute("tabindex", "-1");
      }
    } else {
      control.disabled = !enabled;
    }
  }

  function init(root) {
    const step = root && root.id === "codes-step" ? root : (root || document).querySelector("#codes-step");
    if (!step || step.dataset.codesReady) return;
    step.dataset.codesReady = "1";
    const status = step.querySelector("#codes-status");
    const check = step.querySelector("#codes-saved-check");
    const next = step.querySelector("#codes-continue");
    step.querySelector("#codes-copy").addEventListener("click", () => copy(step, status));
    step.querySelector("#codes-download").addEventListener("click", () => download(step, status));
    step.querySelector("#codes-print").addEventListener("click", () => window.print());
    window.addEventListener("beforeprint", () => beforePrint(step));
    window.addEventListener("afterprint", afterPrint);
    if (check && next) {
      setContinue(next, check.checked);
      check.addEventListener("change", () => setContinue(next, check.checked));
      next.addEventListener("click", (event) => {
        if (!check.checked) event.preventDefault();
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => init(document));
  } else {
    init(document);
  }
  return { init };
})();
