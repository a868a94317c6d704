// The wallet's "scan to pay" page: the camera (the rear one on a phone) looks for a payment
// code. About three frames a second go to the server, one at a time; the server reads them and
// answers where to go next. Nothing is decoded or kept in the browser. When the camera cannot
// be used, the page's upload form (#scan-upload) does the same from a picture.
// Strings come from Django's JavaScript catalog, loaded before this file.
"use strict";

(() => {
  const FRAME_INTERVAL_MS = 333;
  const SCAN_LIMIT_MS = 2 * 60 * 1000;
  const MAX_FRAME_SIDE = 1280; // a 1080p camera is scaled down: the server reads 720p as well
  const JPEG_QUALITY = 0.85;
  const HINT_MS = 3000;

  const root = document.getElementById("scan");
  const video = document.getElementById("scan-video");
  const status = document.getElementById("scan-status");
  const button = document.getElementById("scan-start");
  if (!root || !video || !status || !button) return;

  const frameUrl = root.dataset.frameUrl;
  const csrf = root.dataset.csrf || "";
  const canvas = document.createElement("canvas");
  const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

  const idleText = status.textContent;
  const startLabel = button.textContent;
  let stream = null;
  // Each start gets a new number; a loop that sees another number was stopped and quits.
  let run = 0;

  video.muted = true; // autoplay rules on phones want the property, not only the attribute
  video.hidden = true;

  function say(text) { status.textContent = text; }

  function setState(state) {
    // For the page's CSS: idle, starting, scanning, waiting, found, stopped or error.
    root.dataset.state = state;
    button.disabled = ["starting", "scanning", "waiting", "found"].includes(state);
  }

  function releaseCamera() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    video.hidden = true;
  }

  // Stops scanning; `text` (when given) says why, and the button starts again.
  function stop(text, state = "stopped") {
    run += 1;
    releaseCamera();
    setState(state);
    if (text) say(text);
    if (state !== "found") button.textContent = gettext("Scan again");
  }

  // What the page says when the camera cannot start, by the browser's error name: what went
  // wrong, then what to do, always naming the upload form below the camera.
  function cameraTrouble(error) {
    const both = (what, todo) => [what, todo].join(" ");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return both(
        gettext("This browser cannot use a camera here."),
        gettext("Upload a picture of the code below instead."),
      );
    }
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return both(
        gettext("Camera access is blocked."),
        gettext("Allow the camera for this site, or upload a picture of the code below."),
      );
    }
    if (name === "NotReadableError" || name === "AbortError") {
      return both(
        gettext("The camera is busy."),
        gettext("Close the other app or tab using it and try again, or upload a picture of the code below."),
      );
    }
    return both(
      gettext("No camera was found."),
      gettext("Upload a picture of the code below instead."),
    );
  }

  async function start() {
    if (["starting", "scanning", "waiting", "found"].includes(root.dataset.state)) return;
    run += 1;
    const mine = run;
    setState("starting");
    say(gettext("Starting the camera…"));
    try {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        throw new Error("no camera API"); // http on another computer, or an old browser
      }
      const opened = await navigator.mediaDevices.getUserMedia({
        video: {
          facingMode: { ideal: "environment" },
          width: { ideal: 640 },
          height: { ideal: 480 },
        },
        audio: false,
      });
      if (mine !== run) { // the page was left while the browser asked
        opened.getTracks().forEach((track) => track.stop());
        return;
      }
      stream = opened;
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      while (!video.videoWidth || video.readyState < 2) {
        await sleep(50);
        if (mine !== run) return;
      }
    } catch (error) {
      if (mine === run) stop(cameraTrouble(error), "error");
      return;
    }
    scan(mine);
  }

  function grab() {
    const width = video.videoWidth || 640;
    const height = video.videoHeight || 480;
    const scale = Math.min(1, MAX_FRAME_SIDE / Math.max(width, height));
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => { canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY); });
  }

  // One frame to the server: {status, body, retryAfter}; status 0 when the network failed.
  async function send(blob) {
    const form = new FormData();
    form.append("frame", blob, "frame.jpg");
    let response;
    try {
      response = await fetch(frameUrl, {
        method: "POST",
        body: form,
        headers: { "X-CSRFToken": csrf },
        credentials: "same-origin",
      });
    } catch (error) {
      return { status: 0, body: {}, retryAfter: 0 };
    }
    let body = {};
    try { body = await response.json(); } catch (error) { body = {}; }
    const retryAfter = parseInt(response.headers.get("Retry-After") || "0", 10) || 0;
    return { status: response.status, body: body || {}, retryAfter };
  }

  // Only a path on this site: the answer decides where the browser goes.
  function isLocalPath(next) {
    return typeof next === "string" && next.startsWith("/") && !next.startsWith("//")
      && !next.startsWith("/\\");
  }

  async function scan(mine) {
    setState("scanning");
    say(gettext("Point the camera at the payment code."));
    let deadline = performance.now() + SCAN_LIMIT_MS;
    let hintUntil = 0;
    while (mine === run) {
      if (performance.now() > deadline) {
        stop(gettext("No code found. Try again or upload a picture of it."));
        return;
      }
      const began = performance.now();
      if (document.visibilityState === "visible") {
        const blob = await grab();
        if (mine !== run) return;
        if (blob) {
          const { status: code, body, retryAfter } = await send(blob);
          if (mine !== run) return;
          if (code === 200 && body.found === true && isLocalPath(body.next)) {
            stop(gettext("Code found. Opening the payment…"), "found");
            window.location.assign(body.next);
            return;
          }
          if (code === 429 && retryAfter > 0) {
            const text = body.message || gettext("Too many scans. Wait a moment.");
            if (!(await wait(mine, text, retryAfter))) return;
            say(gettext("Point the camera at the payment code."));
            deadline = performance.now() + SCAN_LIMIT_MS;
            continue;
          }
          if (code === 0) {
            stop(gettext("The connection failed. Check your network and try again."));
            return;
          }
          if (code !== 200 || body.found !== false) {
            // 4xx {code, message}: an expired or forged code, a throttle without a wait...
            stop(body.message || gettext("Something went wrong. Try again."));
            return;
          }
          // {found: false, message}: scanning goes on with a hint ("not a payment code"),
          // shown until HINT_MS pass without one.
          if (body.message) {
            say(body.message);
            hintUntil = performance.now() + HINT_MS;
          } else if (hintUntil && performance.now() > hintUntil) {
            hintUntil = 0;
            say(gettext("Point the camera at the payment code."));
          }
        }
      }
      await sleep(Math.max(0, FRAME_INTERVAL_MS - (performance.now() - began)));
    }
  }

  // A throttled scan: the camera stays on, no frame is sent for `seconds`, and the status
  // counts down. False when the scan was stopped meanwhile.
  async function wait(mine, text, seconds) {
    setState("waiting");
    const until = performance.now() + seconds * 1000;
    for (;;) {
      if (mine !== run) return false;
      const left = Math.ceil((until - performance.now()) / 1000);
      if (left <= 0) break;
      const time = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
      // Translators: %(time)s is minutes:seconds, e.g. 0:27
      const clock = interpolate(gettext("Scanning again in %(time)s"), { time }, true);
      say(`${text} ${clock}`);
      await sleep(1000);
    }
    setState("scanning");
    return true;
  }

  // Starts by itself when the camera was allowed before, so a returning user sees no extra
  // step; otherwise (or without the Permissions API) the button asks.
  async function startIfAllowed() {
    if (!navigator.permissions || !navigator.permissions.query) return;
    try {
      const permission = await navigator.permissions.query({ name: "camera" });
      if (permission.state === "granted") start();
    } catch (error) {
      // Firefox before version 131 does not know the "camera" permission: wait for the click.
    }
  }

  button.addEventListener("click", (event) => {
    event.preventDefault();
    start();
  });
  // Leaving the page (or putting it in the back-forward cache) releases the camera.
  window.addEventListener("pagehide", () => {
    run += 1;
    releaseCamera();
    setState("idle");
    // As the page was first shown, for when the browser brings it back from its cache.
    say(idleText);
    button.textContent = startLabel;
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) startIfAllowed();
  });
  setState("idle");
  startIfAllowed();
})();
