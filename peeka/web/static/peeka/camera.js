// Peeka's camera module: getUserMedia -> <video> -> canvas -> JPEG frames posted to the server.
// The server decides everything; this page only captures and reports what it was told.
// Its strings come from Django's JavaScript catalog (/jsi18n/, loaded first by the base page):
// gettext() and interpolate() speak the page's language.
"use strict";

const Peeka = (() => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function startCamera(video) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new Error(gettext("This browser cannot use a camera here. Open Peeka over https or on localhost."));
    }
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
      audio: false,
    });
    video.srcObject = stream;
    await video.play();
    // Frames grabbed before the first picture arrives are black: wait for real ones.
    while (!video.videoWidth || video.readyState < 2) await sleep(50);
    await sleep(300);
    return stream;
  }

  function grab(video) {
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth || 640;
    canvas.height = video.videoHeight || 480;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
  }

  async function post(url, form) {
    const response = await fetch(url, {
      method: "POST",
      body: form,
      headers: { "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
    });
    let body = {};
    try { body = await response.json(); } catch (error) { body = {}; }
    return { status: response.status, body };
  }

  // Enrollment: about `count` frames over `seconds`, sent together.
  async function enroll({ video, status, url, count, seconds, fields }) {
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    for (let i = 0; i < count; i += 1) {
      status.textContent = interpolate(
        gettext("Hold still… picture %(number)s of %(count)s"), { number: i + 1, count }, true,
      );
      form.append("frames", await grab(video), `frame${i}.jpg`);
      await sleep((seconds * 1000) / count);
    }
    status.textContent = gettext("Checking the pictures…");
    return post(url, form);
  }

  // Login: one frame about every second until the server says pass or done.
  async function login({ video, status, url, maxFrames, fields }) {
    for (let i = 0; i < maxFrames; i += 1) {
      status.textContent = interpolate(
        gettext("Looking for your face… (%(number)s/%(count)s)"),
        { number: i + 1, count: maxFrames }, true,
      );
      const form = new FormData();
      for (const [key, value] of Object.entries(fields)) form.append(key, value);
      form.append("frame", await grab(video), "frame.jpg");
      const { body } = await post(url, form);
      if (body.passed) return body;
      if (body.done) return body;
      await sleep(1000);
    }
    return { passed: false, done: true };
  }

  const ICONS = {
    blink: "\u{1F441}", turn_left: "\u2B05", turn_right: "\u27A1", open_mouth: "\u{1F62E}",
    open_palm: "\u270B", fist: "\u270A", victory: "\u270C", thumbs_up: "\u{1F44D}",
  };

  function setRing(ring, fraction) {
    if (!ring) return;
    const circle = ring.querySelector("circle.progress");
    const length = 2 * Math.PI * Number(circle.getAttribute("r"));
    circle.style.strokeDasharray = `${length}`;
    circle.style.strokeDashoffset = `${length * (1 - fraction)}`;
    ring.setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
  }

  // One step of a liveness challenge: show its prompt and record about 10 frames a second for
  // `stepMs`, from the moment it is shown. The server reveals the next step only when this one
  // passed, and times each answer on its own clock.
  async function recordStep({ video, prompt, icon, ring, step, stepMs }) {
    const frames = [];
    const timestamps = [];
    prompt.textContent = interpolate(
      gettext("Step %(number)s of %(count)s: %(prompt)s"),
      { number: step.index + 1, count: step.count, prompt: step.prompt }, true,
    );
    icon.textContent = ICONS[step.step] || "";
    const started = performance.now();
    while (performance.now() - started < stepMs) {
      setRing(ring, Math.min(1, (performance.now() - started) / stepMs));
      const at = Math.round(performance.timeOrigin + performance.now());
      frames.push(await grab(video));
      timestamps.push(at);
      const wait = 100 - ((performance.now() - started) % 100);
      await sleep(wait);
    }
    setRing(ring, 1);
    icon.textContent = "";
    return { frames, timestamps };
  }

  async function newChallenge(url, fields) {
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    return post(url, form);
  }

  async function send(url, recording, fields) {
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    recording.frames.forEach((blob, i) => form.append("frames", blob, `frame${i}.jpg`));
    form.append("timestamps", recording.timestamps.join(","));
    return post(url, form);
  }

  // The whole liveness round trip of a page: get a challenge, then for each step the server
  // reveals, perform it in front of the camera (the page has #prompt, #step-icon and #ring) and
  // send its frames with `fields`, until the server gives its answer (no next step): the
  // server's JSON answer, or {message} when no challenge could be had.
  async function liveCheck({
    video, status, challengeUrl, challengeFields, sendUrl, fields, stepMs = 2000,
  }) {
    const issued = await newChallenge(challengeUrl, challengeFields);
    if (issued.status !== 200) return { message: issued.body.message || gettext("Try again.") };
    const page = {
      video,
      prompt: document.getElementById("prompt"),
      icon: document.getElementById("step-icon"),
      ring: document.getElementById("ring"),
    };
    let step = issued.body;
    for (;;) {
      status.textContent = "";
      const recording = await recordStep({ ...page, step, stepMs });
      status.textContent = gettext("Checking…");
      const { body } = await send(sendUrl, recording, { ...fields, challenge: issued.body.id });
      if (!body.step) return body;
      step = body;
    }
  }

  // The camera pages' common start: #video, #status and the #start button, which stays
  // disabled until the camera shows real frames (or says why it cannot, plus `hint`).
  function cameraPage(hint = "") {
    const page = {
      video: document.getElementById("video"),
      status: document.getElementById("status"),
      button: document.getElementById("start"),
    };
    page.button.disabled = true;
    startCamera(page.video)
      .then(() => { page.button.disabled = false; })
      .catch((error) => { page.status.textContent = `${error.message}${hint}`; });
    return page;
  }

  // After a failed face check: say what to do and turn the button into "Try again".
  function offerRetry({ status, button }, verdict, advice) {
    status.textContent = `${verdict.hint || verdict.message || gettext("Not recognised.")} ${advice}`;
    const prompt = document.getElementById("prompt");
    if (prompt) prompt.textContent = "";
    // Translators: the camera page's button after a failed face check.
    button.textContent = gettext("Try again");
    button.disabled = false;
  }

  return { startCamera, enroll, login, liveCheck, cameraPage, offerRetry };
})();
