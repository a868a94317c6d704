// Peeka's camera module: getUserMedia -> <video> -> canvas -> JPEG frames posted to the server.
// The server decides everything; this page only captures and reports what it was told.
"use strict";

const Peeka = (() => {
  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function startCamera(video) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new Error("This browser cannot use a camera here. Open Peeka over https or on localhost.");
    }
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
      audio: false,
    });
    video.srcObject = stream;
    await video.play();
    return stream;
  }

  function grab(video) {
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth || 640;
    canvas.height = video.videoHeight || 480;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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
      status.textContent = `Hold still… picture ${i + 1} of ${count}`;
      form.append("frames", await grab(video), `frame${i}.jpg`);
      await sleep((seconds * 1000) / count);
    }
    status.textContent = "Checking the pictures…";
    return post(url, form);
  }

  // Login: one frame about every second until the server says pass or done.
  async function login({ video, status, url, maxFrames, fields }) {
    for (let i = 0; i < maxFrames; i += 1) {
      status.textContent = `Looking for your face… (${i + 1}/${maxFrames})`;
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

  return { startCamera, enroll, login };
})();
