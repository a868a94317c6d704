// Registers the service worker (/sw.js, peeka.web.pwa) that makes Peeka an installable app
// and keeps its page shell, never a balance, for offline use. Browsers without service
// workers, and pages outside a secure context, simply go without.
"use strict";

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => {
    console.warn("Peeka: the service worker did not register:", error);
  });
}
