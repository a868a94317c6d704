"use strict";
// The mock interview page (coach/interview.html). Before it begins: a live face check through
// the capture component, then the first question (or the first question without the check,
// which the report then calls unverified). While it runs: one question at a time with the
// time the server says is left, the answer sent by the button or when the time is up, and three
// camera frames sent for an identity check right after the start and about every
// `data-check-seconds`. After the last answer: the end check, then the finish form, which
// leads to the report. The server times and decides everything; the page only counts down.
// Where the server can write speech down (`data-transcribe-url`), #record records the
// microphone (at most the time left) and adds what the server heard to the answer, to correct.
(() => {
  const $ = (id) => document.getElementById(id);
  const form = $("interview-form");
  const data = form.dataset;
  const count = parseInt(data.count, 10);
  const checkMs = Math.max(5, parseInt(data.checkSeconds, 10) || 30) * 1000;
  const answerMax = parseInt(data.answerMax, 10);
  const panel = $("question-panel");
  const answer = $("answer");
  const next = $("next");
  const timer = $("timer");
  const checkStatus = $("check-status");
  const beginUnverified = $("begin-unverified");
  const record = $("record");
  const recordStatus = $("record-status");

  const ANNOUNCE_AT = 30; // seconds left: the one spoken announcement
  const CHECK_FRAMES = 3; // frames of one identity check, spread over CHECK_SPREAD_MS
  const CHECK_SPREAD_MS = 1000;
  const CAMERA_WAIT_MS = 15000;
  const END_RETRY_MAX_S = 60; // a throttled end check is tried once more within this wait

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const clock = (seconds) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;

  let capture = null;
  let current = parseInt(data.current, 10) || 0; // questions answered so far
  let elapsedBase = parseInt(data.elapsed, 10) || 0; // seconds since the start, by the server
  let elapsedFrom = performance.now();
  let deadline = 0;
  let ticking = 0;
  let announced = false;
  let autoSent = false;
  let sending = false;
  let finishing = false;
  let checking = null; // the identity check on its way, if any
  let recorder = null; // the MediaRecorder while the microphone records
  let recordLimit = 0;
  let transcribing = null; // the recording on its way to be written down, if any

  const elapsed = () => elapsedBase + Math.round((performance.now() - elapsedFrom) / 1000);

  function showError(message) {
    const box = $("interview-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  // The answer being typed survives a reload of this tab (the server keeps only sent answers).
  const draftKey = () => `peeka-interview-draft:${data.answerUrl}:${current + 1}`;
  function keepDraft() {
    try { window.sessionStorage.setItem(draftKey(), answer.value); } catch (error) { /* full or off */ }
  }
  function takeDraft() {
    try { return window.sessionStorage.getItem(draftKey()) || ""; } catch (error) { return ""; }
  }
  function dropDraft() {
    try { window.sessionStorage.removeItem(draftKey()); } catch (error) { /* off */ }
  }

  function countCharacters() {
    $("answer-count").textContent = interpolate(
      // Translators: characters typed of the most an answer may have, e.g. "120 / 1000 characters"
      gettext("%(length)s / %(most)s characters"),
      { length: answer.value.length, most: answerMax }, true,
    );
  }

  // --- the timer: the server's seconds left, counted down here --------------------------------

  function tick() {
    const left = Math.max(0, Math.ceil((deadline - performance.now()) / 1000));
    timer.textContent = clock(left);
    if (left <= ANNOUNCE_AT) timer.dataset.low = "1"; else delete timer.dataset.low;
    if (!announced && left <= ANNOUNCE_AT) {
      announced = true;
      $("timer-alert").textContent = interpolate(
        gettext("%(seconds)s seconds left for this answer."), { seconds: ANNOUNCE_AT }, true,
      );
    }
    if (left === 0) {
      window.clearInterval(ticking);
      if (!autoSent) {
        autoSent = true;
        send();
      }
    }
  }

  function startTimer(seconds) {
    window.clearInterval(ticking);
    deadline = performance.now() + seconds * 1000;
    // Announced once, when the time left falls to ANNOUNCE_AT, not when a question starts there.
    announced = seconds <= ANNOUNCE_AT;
    $("timer-alert").textContent = "";
    tick();
    if (seconds > 0) ticking = window.setInterval(tick, 250);
  }

  // --- questions and answers -------------------------------------------------------------------

  // `text`: the question the server says is on screen now (it sends each only when its turn
  // comes); on a reload the page already shows it.
  function showQuestion(remaining, text) {
    const number = current + 1;
    $("question-number").textContent = interpolate(
      // Translators: the mock interview's heading, e.g. "Question 2 of 5"
      gettext("Question %(number)s of %(total)s"), { number, total: count }, true,
    );
    if (text !== undefined) $("question-text").textContent = text;
    next.textContent = number >= count ? gettext("Finish the interview") : gettext("Next question");
    next.disabled = false;
    answer.disabled = false;
    autoSent = false;
    answer.value = takeDraft();
    countCharacters();
    recordButton();
    startTimer(remaining);
    answer.focus();
  }

  async function send() {
    if (sending || finishing) return;
    sending = true;
    next.disabled = true;
    showError("");
    // What is being said belongs to this answer: it is written down and added before it goes.
    stopRecording();
    if (transcribing) await transcribing;
    const { status, body } = await Peeka.post(
      data.answerUrl, Peeka.formOf({ order: current + 1, text: answer.value }),
    );
    sending = false;
    next.disabled = false;
    recordButton();
    if (status !== 200) {
      // The answer stays in the box: the button sends it again.
      showError(body.message || gettext("Your answer could not be sent. Try again."));
      return;
    }
    dropDraft();
    current = body.current;
    answer.value = "";
    if (current >= count) {
      finish();
      return;
    }
    showQuestion(body.remaining, body.question);
  }

  // --- a spoken answer, written down by the server ----------------------------------------------

  const RECORD_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];
  const canRecord = () => Boolean(
    record && data.transcribeUrl && window.MediaRecorder && navigator.mediaDevices
    && navigator.mediaDevices.getUserMedia,
  );

  function recordButton() {
    if (!record) return;
    const on = Boolean(recorder);
    record.setAttribute("aria-pressed", on ? "true" : "false");
    record.textContent = on
      // Translators: the mock interview's microphone toggle while it records: stop, and have the
      // AI write the spoken answer into the answer box
      ? gettext("Stop and write it down")
      // Translators: the mock interview's microphone toggle: record a spoken answer
      : gettext("Speak your answer");
    record.disabled = !on && (Boolean(transcribing) || sending || finishing || answer.disabled);
  }

  function recordSays(text) {
    if (recordStatus) recordStatus.textContent = text;
  }

  async function startRecording() {
    if (recorder || transcribing || sending || finishing || record.disabled) return;
    showError("");
    const order = current + 1;
    let stream;
    record.disabled = true; // while the browser asks for the microphone
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      recordButton();
      showError(gettext("The microphone could not be used. Allow it for this site, or type your answer."));
      return;
    }
    if (sending || finishing || order !== current + 1) { // the answer went meanwhile
      stream.getTracks().forEach((track) => track.stop());
      recordButton();
      return;
    }
    const type = RECORD_TYPES.find((candidate) => MediaRecorder.isTypeSupported(candidate));
    const parts = [];
    let started;
    try {
      started = new MediaRecorder(stream, type ? { mimeType: type } : {});
      started.addEventListener("dataavailable", (event) => {
        if (event.data && event.data.size) parts.push(event.data);
      });
      started.start();
    } catch (error) {
      stream.getTracks().forEach((track) => track.stop());
      recordButton();
      showError(gettext("This browser cannot record sound here. Type your answer instead."));
      return;
    }
    recorder = started;
    // The recording ends with the "stop" event: then its text is asked for, once.
    transcribing = new Promise((resolve) => {
      started.addEventListener("stop", () => {
        stream.getTracks().forEach((track) => track.stop());
        const blob = new Blob(parts, { type: started.mimeType || type || "audio/webm" });
        transcribe(blob, order).then(resolve, resolve);
      });
    });
    recordButton();
    recordSays(gettext("Recording… Speak now, then press the button again."));
    // At most the question's time left: the answer is sent then, with what was said.
    const left = Math.max(1000, deadline - performance.now());
    recordLimit = window.setTimeout(stopRecording, left);
  }

  function stopRecording() {
    window.clearTimeout(recordLimit);
    if (!recorder) return;
    const stopping = recorder;
    recorder = null;
    if (stopping.state !== "inactive") stopping.stop();
    recordButton();
  }

  async function transcribe(blob, order) {
    recordButton();
    // Translators: while the AI service turns the recorded answer into text
    recordSays(gettext("Writing down what you said…"));
    const { status, body } = await Peeka.post(data.transcribeUrl, blob);
    transcribing = null;
    recordButton();
    if (status !== 200) {
      recordSays("");
      showError(body.message || gettext("What you said could not be written down. Try again, or type your answer."));
      return;
    }
    const text = (body.text || "").trim();
    if (order !== current + 1) return; // another question is on screen now (not expected)
    if (!text) {
      recordSays(gettext("Nothing was heard. Try again, closer to the microphone, or type your answer."));
      return;
    }
    const typed = answer.value.replace(/\s+$/, "");
    const joined = typed ? `${typed}${/\n$/.test(answer.value) ? "\n" : " "}${text}` : text;
    answer.value = joined.slice(0, answerMax);
    countCharacters();
    keepDraft();
    if (joined.length > answerMax) {
      showError(interpolate(
        gettext("An answer has at most %(most)s characters: the end of what you said was left out."),
        { most: answerMax }, true,
      ));
    }
    recordSays(gettext("Added to your answer. Correct it if something was misheard."));
    answer.focus();
  }

  // --- identity checks while the interview runs ------------------------------------------------

  // The capture component's own loop (framing hints) stops once it is out of its idle state;
  // while the interview runs it shows only the picture.
  function quietCamera() {
    if (capture && ["idle", "failure"].includes(capture.root.dataset.captureState)) {
      capture.setState("success");
    }
  }

  async function cameraReady() {
    const video = $("video");
    const until = performance.now() + CAMERA_WAIT_MS;
    while (performance.now() < until) {
      const state = capture ? capture.root.dataset.captureState : "";
      if (["denied", "nocamera"].includes(state)) return null;
      if (video.videoWidth && video.readyState >= 2 && state !== "checking") return video;
      await sleep(200);
    }
    return null;
  }

  function grab(video) {
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.88));
  }

  function say(text, time) {
    checkStatus.textContent = interpolate(text, { time: clock(time) }, true);
  }

  // One check: three frames over about a second, sent to the server, which matches them to the
  // account holder. Resolves to the server's answer ({status, body}) or null without a camera.
  async function presence(end) {
    const video = await cameraReady();
    const at = elapsed();
    quietCamera();
    if (!video) {
      // Translators: %(time)s is minutes:seconds since the mock interview began, e.g. 1:30
      say(gettext("Identity check at %(time)s: the camera is off, so your face could not be checked."), at);
      return null;
    }
    const frames = new FormData();
    for (let i = 0; i < CHECK_FRAMES; i += 1) {
      if (i) await sleep(CHECK_SPREAD_MS / (CHECK_FRAMES - 1));
      frames.append("frames", await grab(video), `frame${i}.jpg`);
    }
    if (end) frames.append("end", "1");
    const answered = await Peeka.post(data.presenceUrl, frames);
    if (answered.status === 200) {
      say(answered.body.passed
        // Translators: %(time)s is minutes:seconds since the mock interview began, e.g. 1:30
        ? gettext("Identity check at %(time)s: your face was recognised.")
        // Translators: %(time)s is minutes:seconds since the mock interview began, e.g. 1:30
        : gettext("Identity check at %(time)s: your face was not recognised."), at);
    } else if (answered.status === 0) {
      // Translators: %(time)s is minutes:seconds since the mock interview began, e.g. 1:30
      say(gettext("Identity check at %(time)s: it could not be sent."), at);
    }
    // 429: too many checks just now; this round is skipped and the next one comes as usual.
    return answered;
  }

  async function checkLoop() {
    for (;;) {
      if (finishing) return;
      checking = presence(false);
      const answered = await checking;
      checking = null;
      if (answered && answered.status === 409) return; // the interview is no longer going on
      await sleep(checkMs);
    }
  }

  // --- the start, the end ----------------------------------------------------------------------

  function running(remaining, text) {
    form.dataset.state = "running";
    $("intro").hidden = true;
    $("unverified").hidden = true;
    panel.hidden = false;
    if (current >= count) {
      finish();
      return;
    }
    showQuestion(remaining, text);
    checkLoop();
  }

  async function begin() {
    showError("");
    beginUnverified.disabled = true;
    const { status, body } = await Peeka.post(data.beginUrl, new FormData());
    beginUnverified.disabled = false;
    if (status !== 200) {
      showError(body.message || gettext("The interview could not begin. Try again."));
      return false;
    }
    current = body.current;
    elapsedBase = 0;
    elapsedFrom = performance.now();
    quietCamera();
    running(body.remaining, body.question);
    return true;
  }

  async function finish() {
    if (finishing) return;
    finishing = true;
    window.clearInterval(ticking);
    stopRecording();
    next.disabled = true;
    answer.disabled = true;
    recordButton();
    checkStatus.textContent = gettext("A last identity check, then your report and its feedback…");
    if (checking) await checking;
    let answered = await presence(true);
    const wait = answered && answered.status === 429 ? answered.body.retryAfter || 0 : -1;
    if (wait >= 0 && wait <= END_RETRY_MAX_S) {
      await sleep(wait * 1000 + 500);
      answered = await presence(true);
    }
    checkStatus.textContent = gettext("Preparing your report and its feedback…");
    $("finish-form").submit();
  }

  capture = Peeka.capture(async (component) => {
    if (form.dataset.state !== "ready") return;
    showError("");
    beginUnverified.disabled = true;
    let verdict;
    try {
      verdict = await component.liveCheck({
        challengeUrl: data.challengeUrl, challengeFields: {},
        sendUrl: data.framesUrl, fields: {},
      });
    } finally {
      beginUnverified.disabled = false;
    }
    if (verdict.passed) {
      component.succeed(gettext("Your face was recognised. The interview begins."));
      if (!(await begin())) component.fail(gettext("The interview could not begin. Try again."));
      return;
    }
    if (verdict.code === "interview_started") { // begun in another tab: show where it stands
      window.location.reload();
      return;
    }
    component.fail(
      verdict.message || verdict.hint || gettext("Not recognised. Try again."), verdict.retryAfter,
    );
  });

  // Whenever the check cannot pass (it failed, or there is no camera), the way to practise
  // without it appears.
  new MutationObserver(() => {
    const state = capture.root.dataset.captureState;
    if (form.dataset.state === "ready" && ["failure", "denied", "nocamera"].includes(state)) {
      $("unverified").hidden = false;
    }
  }).observe(capture.root, { attributes: true, attributeFilter: ["data-capture-state"] });

  beginUnverified.addEventListener("click", () => {
    if (form.dataset.state === "ready") begin();
  });
  next.addEventListener("click", () => send());
  if (canRecord()) {
    record.addEventListener("click", () => (recorder ? stopRecording() : startRecording()));
  } else if (record) {
    record.hidden = true; // no microphone recording in this browser: answers are typed
    if (recordStatus) recordStatus.hidden = true;
  }
  answer.addEventListener("input", () => {
    countCharacters();
    keepDraft();
  });

  // After a reload while it runs: the question on screen, with the time the server says is
  // left; the camera reopens by itself (the capture component) for the checks.
  if (data.state === "running") running(parseInt(data.remaining, 10) || 0);
})();
