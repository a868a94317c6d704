// Peeka's capture component: getUserMedia -> <video> -> canvas -> JPEG frames posted to the
// server. The server decides everything; this page only captures and shows what it was told.
// One component for every camera page (web/capture.html): a face guide over the video, framing
// hints before recording, a countdown, each step's prompt and icon over the video, per-step
// progress, "Verifying…", success and failure states, and a "more time" option.
// Its strings come from Django's JavaScript catalog (/jsi18n/, loaded first by the base page).
"use strict";

const Peeka = (() => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const STEP_MS = 2000;
  const MORE_TIME_STEP_MS = 3000; // 30 frames at 10 a second: the most one step may send
  const STEP_MAX_FRAMES = 30;
  const FRAME_INTERVAL_MS = 100;
  const FRAMING_INTERVAL_MS = 700;
  const FRAMING_MAX_REQUESTS = 200; // about 2 minutes and a half of hints, then they stop
  const MORE_TIME_KEY = "peeka-more-time";
  const ICONS = new Set([
    "blink", "turn_left", "turn_right", "open_mouth", "open_palm", "fist", "victory",
    "thumbs_up", "look",
  ]);

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function post(url, form) {
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        body: form,
        headers: { "X-CSRFToken": csrfToken() },
        credentials: "same-origin",
      });
    } catch (error) {
      return { status: 0, body: { message: gettext("The connection failed. Check your network and try again.") } };
    }
    let body = {};
    try { body = await response.json(); } catch (error) { body = {}; }
    if (response.status === 429) {
      // Throttled: the seconds to wait go with the answer, for the page to count down.
      body.retryAfter = parseInt(response.headers.get("Retry-After") || "0", 10) || 0;
    }
    return { status: response.status, body };
  }

  function formOf(fields) {
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    return form;
  }

  function grab(video, width = 0, quality = 0.9) {
    const canvas = document.createElement("canvas");
    const scale = width ? width / (video.videoWidth || 640) : 1;
    canvas.width = Math.round((video.videoWidth || 640) * scale);
    canvas.height = Math.round((video.videoHeight || 480) * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
  }

  // What the page says when the camera cannot start, by the browser's error name.
  function cameraTrouble(error) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || error === "insecure") {
      return {
        state: "nocamera",
        title: gettext("This browser cannot use a camera here."),
        text: gettext("Open Peeka over https (or on this computer at localhost), in an up-to-date browser."),
      };
    }
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return {
        state: "denied",
        title: gettext("Camera access is blocked."),
        text: gettext("Allow the camera for this site: click the camera or lock icon in the address bar, choose Allow, then press “Try the camera again”."),
      };
    }
    if (name === "NotReadableError" || name === "AbortError") {
      return {
        state: "nocamera",
        title: gettext("The camera is busy."),
        text: gettext("Another app or tab is using the camera. Close it, then press “Try the camera again”."),
      };
    }
    return {
      state: "nocamera",
      title: gettext("No camera was found."),
      text: gettext("Connect a camera and press “Try the camera again”."),
    };
  }

  class Capture {
    // `root` is the [data-capture] element of web/capture.html.
    constructor(root) {
      const find = (selector) => root.querySelector(selector);
      this.root = root;
      this.video = find("video");
      this.button = find("#start");
      this.status = find("#status");
      this.prompt = find("#prompt");
      this.icon = find("#step-icon use");
      this.count = find("#countdown");
      this.steps = find("#capture-steps");
      this.bar = find("#step-bar");
      this.hint = find("#framing-hint");
      this.trouble = find("#camera-trouble");
      this.moreTime = find("#more-time");
      this.framingUrl = root.dataset.framingUrl;
      this.framingAsked = 0;
      this.stream = null;
      this.idleText = this.status.textContent;
      this.startLabel = this.button.textContent;
      if (this.moreTime) {
        this.moreTime.checked = window.localStorage.getItem(MORE_TIME_KEY) === "1";
        this.moreTime.addEventListener("change", () => {
          window.localStorage.setItem(MORE_TIME_KEY, this.moreTime.checked ? "1" : "0");
        });
      }
      const retry = find("#camera-retry");
      if (retry) retry.addEventListener("click", () => this.open());
      this.open();
    }

    get stepMs() { return this.moreTime && this.moreTime.checked ? MORE_TIME_STEP_MS : STEP_MS; }

    setState(state) {
      this.root.dataset.captureState = state;
      this.button.disabled = !["idle", "failure"].includes(state);
      this.button.setAttribute("aria-busy", String(["countdown", "recording", "verifying"].includes(state)));
    }

    say(text) { this.status.textContent = text; }

    async open() {
      this.setState("checking");
      this.trouble.hidden = true;
      this.say(gettext("Starting the camera…"));
      try {
        if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw "insecure";
        this.stream = await navigator.mediaDevices.getUserMedia({
          video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
          audio: false,
        });
        this.video.srcObject = this.stream;
        await this.video.play();
        // Frames grabbed before the first picture arrives are black: wait for real ones.
        while (!this.video.videoWidth || this.video.readyState < 2) await sleep(50);
        await sleep(300);
      } catch (error) {
        const trouble = cameraTrouble(error);
        this.setState(trouble.state);
        this.button.disabled = true;
        this.trouble.querySelector("#trouble-title").textContent = trouble.title;
        this.trouble.querySelector("#trouble-text").textContent = trouble.text;
        this.trouble.hidden = false;
        this.say(trouble.title);
        return;
      }
      this.setState("idle");
      this.say(this.idleText);
      this.frameLoop();
    }

    // Framing hints while nobody has pressed the button: a small frame every 0.7 s, at most
    // FRAMING_MAX_REQUESTS a page, only while the page is visible; they never block the button.
    async frameLoop() {
      if (!this.framingUrl || this.framing) return;
      this.framing = true;
      while (this.framingAsked < FRAMING_MAX_REQUESTS) {
        await sleep(FRAMING_INTERVAL_MS);
        const state = this.root.dataset.captureState;
        if (!["idle", "failure"].includes(state)) { this.showFraming(null); continue; }
        if (document.visibilityState !== "visible") continue;
        this.framingAsked += 1;
        const form = new FormData();
        form.append("frame", await grab(this.video, 320, 0.7), "frame.jpg");
        const { status, body } = await post(this.framingUrl, form);
        if (status === 429 || status === 0) break;
        if (["idle", "failure"].includes(this.root.dataset.captureState)) this.showFraming(body);
      }
      this.showFraming(null);
      this.framing = false;
    }

    showFraming(body) {
      this.root.dataset.framing = body && body.check ? (body.check === "ok" ? "ok" : "warn") : "";
      this.hint.textContent = body && body.hint ? body.hint : "";
      this.hint.hidden = !(body && body.hint);
    }

    showSteps(count, done) {
      this.steps.replaceChildren();
      for (let i = 0; i < count; i += 1) {
        const item = document.createElement("li");
        item.className = i < done ? "done" : i === done ? "current" : "";
        item.textContent = interpolate(gettext("Step %(number)s"), { number: i + 1 }, true);
        if (i === done) item.setAttribute("aria-current", "step");
        this.steps.append(item);
      }
    }

    showStep(step) {
      this.icon.setAttribute("href", ICONS.has(step) ? `#capture-icon-${step}` : "");
      this.prompt.textContent = step ? this.promptText : "";
    }

    setBar(fraction) {
      this.bar.style.width = `${Math.round(fraction * 100)}%`;
    }

    async countdown(seconds, text) {
      this.setState("countdown");
      this.showStep("");
      this.prompt.textContent = text;
      this.say(text);
      for (let left = seconds; left > 0; left -= 1) {
        this.count.textContent = String(left);
        await sleep(1000);
      }
      this.count.textContent = "";
    }

    // One step: show its prompt and record about 10 frames a second for the step's time, from
    // the moment it is shown. The server reveals the next step only when this one passed, and
    // times each answer on its own clock.
    async record(step) {
      this.setState("recording");
      this.promptText = step.prompt;
      this.showSteps(step.count, step.index);
      this.showStep(step.step);
      this.say(interpolate(
        gettext("Step %(number)s of %(count)s: %(prompt)s"),
        { number: step.index + 1, count: step.count, prompt: step.prompt }, true,
      ));
      const frames = [];
      const timestamps = [];
      const stepMs = this.stepMs;
      const started = performance.now();
      while (performance.now() - started < stepMs && frames.length < STEP_MAX_FRAMES) {
        this.setBar(Math.min(1, (performance.now() - started) / stepMs));
        const at = Math.round(performance.timeOrigin + performance.now());
        frames.push(await grab(this.video));
        timestamps.push(at);
        await sleep(FRAME_INTERVAL_MS - ((performance.now() - started) % FRAME_INTERVAL_MS));
      }
      this.setBar(1);
      return { frames, timestamps };
    }

    verifying() {
      this.setState("verifying");
      this.showStep("");
      this.say(gettext("Verifying…"));
    }

    // The whole liveness round trip: a countdown, a challenge, then each step the server
    // reveals, performed and sent with `fields`, until the server answers without a next step.
    // Resolves to the server's JSON answer with the challenge's id (`challenge`), or {message}
    // when no challenge could be had.
    async liveCheck({ challengeUrl, challengeFields, sendUrl, fields }) {
      this.showFraming(null);
      await this.countdown(3, gettext("Get ready: look at the camera."));
      const issued = await post(challengeUrl, formOf(challengeFields));
      if (issued.status !== 200) {
        return { message: issued.body.message || gettext("Try again."), retryAfter: issued.body.retryAfter };
      }
      let step = issued.body;
      for (;;) {
        const recording = await this.record(step);
        this.verifying();
        const form = formOf({ ...fields, challenge: issued.body.id });
        recording.frames.forEach((blob, i) => form.append("frames", blob, `frame${i}.jpg`));
        form.append("timestamps", recording.timestamps.join(","));
        const { body } = await post(sendUrl, form);
        if (!body.step) return { ...body, challenge: issued.body.id };
        this.showSteps(body.count, body.index);
        if (this.moreTime && this.moreTime.checked) {
          await this.countdown(3, gettext("Well done. Get ready for the next step."));
        }
        step = body;
      }
    }

    // Without liveness (a deployment that turned it off): `count` frames over `seconds`.
    async burst(count, seconds) {
      await this.countdown(3, gettext("Get ready: look at the camera."));
      this.setState("recording");
      this.prompt.textContent = gettext("Look at the camera and hold still.");
      const frames = [];
      for (let i = 0; i < count; i += 1) {
        this.setBar((i + 1) / count);
        frames.push(await grab(this.video));
        await sleep((seconds * 1000) / count);
      }
      this.verifying();
      return frames;
    }

    // Without liveness, a login: a frame about every second, each sent with `send` until it
    // returns an answer (or `count` frames went unanswered: null).
    async each(count, send) {
      await this.countdown(3, gettext("Get ready: look at the camera."));
      this.setState("recording");
      this.prompt.textContent = gettext("Look at the camera and hold still.");
      for (let i = 0; i < count; i += 1) {
        this.setBar((i + 1) / count);
        const answer = await send(await grab(this.video));
        if (answer) return answer;
        await sleep(1000);
      }
      return null;
    }

    // Back to the start for the next person (a kiosk): nothing recorded, the button as it was.
    reset() {
      this.setState("idle");
      this.showStep("");
      this.count.textContent = "";
      this.prompt.textContent = "";
      this.steps.replaceChildren();
      this.setBar(0);
      this.button.textContent = this.startLabel;
      this.say(this.idleText);
      this.frameLoop();
    }

    succeed(text) {
      this.setState("success");
      this.showStep("");
      this.count.textContent = "";
      this.prompt.textContent = "";
      this.steps.querySelectorAll("li").forEach((item) => { item.className = "done"; });
      this.say(text);
    }

    // After a failed check: the prompt, progress and countdown reset; the status says what to
    // do and the button becomes "Try again" — after `retryAfter` seconds, counted down, when
    // the server throttled the attempt.
    fail(text, retryAfter = 0) {
      this.setState("failure");
      this.showStep("");
      this.count.textContent = "";
      this.prompt.textContent = "";
      this.steps.replaceChildren();
      this.setBar(0);
      this.say(text);
      // Translators: the camera page's button after a failed face check.
      this.button.textContent = gettext("Try again");
      if (retryAfter > 0) this.wait(text, retryAfter);
      this.frameLoop();
    }

    async wait(text, seconds) {
      const deadline = performance.now() + seconds * 1000;
      for (;;) {
        const left = Math.ceil((deadline - performance.now()) / 1000);
        if (left <= 0 || this.root.dataset.captureState !== "failure") break;
        this.button.disabled = true;
        const time = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
        // Translators: %(time)s is minutes:seconds, e.g. 0:27
        this.say(`${text} ${interpolate(gettext("Try again in %(time)s"), { time }, true)}`);
        await sleep(1000);
      }
      if (this.root.dataset.captureState === "failure") {
        this.button.disabled = false;
        this.say(gettext("You can try again now."));
      }
    }
  }

  // The page's capture component, its button wired to `run` (which returns a promise).
  function capture(run) {
    const root = document.querySelector("[data-capture]");
    const component = new Capture(root);
    root.closest("form").addEventListener("submit", (event) => {
      event.preventDefault();
      if (component.button.disabled) return;
      run(component).catch(() => component.fail(gettext("Something went wrong. Try again.")));
    });
    return component;
  }

  return { capture, post, formOf };
})();
