"use strict";
// The answers of a question set: each is saved as it is typed (a second after the last key),
// its length counted against the limit, and "Get feedback" streams the provider's feedback
// into the page as it is written, then shows it in full. Nothing typed is lost: a failed save
// or feedback leaves the text where it is and says what went wrong.
(() => {
  const SAVE_DELAY_MS = 1000;
  const NDJSON = "application/x-ndjson";

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function send(url, text, accept) {
    const body = new FormData();
    body.append("text", text);
    return fetch(url, {
      method: "POST",
      body,
      headers: { "X-CSRFToken": csrfToken(), Accept: accept },
      credentials: "same-origin",
    });
  }

  async function message(response) {
    try {
      const body = await response.json();
      return body.message || gettext("Something went wrong. Try again.");
    } catch (error) {
      return gettext("Something went wrong. Try again.");
    }
  }

  function setUp(section) {
    const form = section.querySelector(".answer-form");
    const answer = section.querySelector(".answer");
    const count = section.querySelector(".answer-count");
    const saved = section.querySelector(".answer-saved");
    const problem = section.querySelector(".answer-error");
    const button = section.querySelector(".feedback-button");
    const live = section.querySelector(".feedback-live");
    const stream = section.querySelector(".feedback-stream");
    const most = parseInt(answer.getAttribute("maxlength"), 10);
    let timer = 0;
    let lastSaved = answer.value;

    function showProblem(text) {
      problem.textContent = text;
      problem.hidden = !text;
    }

    function counted() {
      count.textContent = interpolate(
        gettext("%(count)s / %(most)s characters"), { count: answer.value.length, most }, true,
      );
    }

    async function save() {
      timer = 0;
      const text = answer.value;
      if (text === lastSaved) return true;
      saved.textContent = gettext("Saving…");
      let response;
      try {
        response = await send(section.dataset.saveUrl, text, "application/json");
      } catch (error) {
        saved.textContent = gettext("Not saved: the connection failed. Your text is still here.");
        return false;
      }
      if (!response.ok) {
        saved.textContent = "";
        showProblem(await message(response));
        return false;
      }
      lastSaved = text;
      showProblem("");
      saved.textContent = gettext("Saved");
      return true;
    }

    answer.addEventListener("input", () => {
      counted();
      saved.textContent = "";
      window.clearTimeout(timer);
      timer = window.setTimeout(save, SAVE_DELAY_MS);
    });

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      window.clearTimeout(timer);
      showProblem("");
      button.disabled = true;
      stream.textContent = "";
      live.hidden = false;
      try {
        const response = await send(section.dataset.feedbackUrl, answer.value, NDJSON);
        if (!response.ok || !response.body) {
          showProblem(await message(response));
          return;
        }
        lastSaved = answer.value; // the server saved the answer before asking for feedback
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end = buffer.indexOf("\n");
          while (end >= 0) {
            const line = JSON.parse(buffer.slice(0, end));
            buffer = buffer.slice(end + 1);
            if (line.text) stream.textContent += line.text;
            if (line.message) showProblem(line.message);
            if (line.done) {
              window.location.assign(line.url);
              window.location.reload();
              return;
            }
            end = buffer.indexOf("\n");
          }
        }
      } catch (error) {
        showProblem(gettext("The connection failed. Your answer is still here; try again."));
      } finally {
        button.disabled = false;
        live.hidden = true;
      }
    });
  }

  document.querySelectorAll("section.question").forEach(setUp);
})();
