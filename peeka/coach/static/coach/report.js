"use strict";
// The mock interview report: a print button, and the example answers (closed <details>) opened
// while printing so the paper shows them, then closed again.
(() => {
  const button = document.getElementById("print");
  if (button) button.addEventListener("click", () => window.print());
  let opened = [];
  window.addEventListener("beforeprint", () => {
    opened = Array.from(document.querySelectorAll("#report details:not([open])"));
    opened.forEach((details) => { details.open = true; });
  });
  window.addEventListener("afterprint", () => {
    opened.forEach((details) => { details.open = false; });
    opened = [];
  });
})();
