// The bookmarklet's window: reads what it was given (address #fragment, or the tab's storage after
// signing in), sends it to /v1/feedback and shows where it was routed.
"use strict";

const KEPT = "feedback-router-forward";

// A 53-bit string hash (cyrb53): the same post forwarded twice, by anyone, gets the same key.
function hash(text) {
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

function readPayload() {
  if (window.location.hash.length > 1) {
    const payload = JSON.parse(decodeURIComponent(window.location.hash.slice(1)));
    payload.key = "forward-" + hash(payload.url + "\n" + payload.text);  // the Idempotency-Key
    sessionStorage.setItem(KEPT, JSON.stringify(payload));
    history.replaceState(null, "", window.location.pathname);
    return payload;
  }
  const kept = sessionStorage.getItem(KEPT);
  return kept ? JSON.parse(kept) : null;
}

function feedbackBody(payload) {
  const body = { text: payload.text, source: payload.source || "forum", metadata: { forwarded_with: "bookmarklet" } };
  if (/^https?:\/\//.test(payload.url || "")) body.url = payload.url;
  if (payload.title) body.metadata.page_title = payload.title;
  if (payload.author) body.author = { handle: payload.author };
  return body;
}

async function send(box, payload, say) {
  say(box.dataset.sending);
  const { status, data } = await window.feedbackRouter.request("POST", "/v1/feedback", {
    json: feedbackBody(payload),
    headers: { "Idempotency-Key": payload.key },
  });
  return { id: data.id, repeated: status === 200 };
}

async function waitForRoute(box, id, say) {
  for (let second = 0; second < 30; second++) {
    const result = await window.feedbackRouter.api("GET", `/v1/forwarded/${id}`);
    if (result.status === "processed") return result;
    if (result.status === "failed") throw new Error(box.dataset.failed);
    say(box.dataset.classifying.replace("{id}", id));
    await new Promise((resolve) => window.setTimeout(resolve, 1000));
  }
  return null;
}

// Where it went, in the window's language: the kind's name, the team (or triage), each part of a split message.
function outcome(box, result) {
  const kinds = JSON.parse(box.dataset.kinds);
  const kind = (value) => kinds[value] || (value ? value.replace("_", " ") : "?");
  const where = (item) => `${kind(item.kind)} → ${item.team && item.team !== "triage" ? item.team : box.dataset.triageTeam}`;
  if (result.parts && result.parts.length) {
    const parts = result.parts.map(where).join("; ");
    return box.dataset.split.replace("{id}", result.id).replace("{count}", result.parts.length).replace("{parts}", parts);
  }
  const template = result.team && result.team !== "triage" ? box.dataset.routed : box.dataset.triage;
  return template.replace("{id}", result.id).replace("{kind}", kind(result.kind)).replace("{team}", result.team);
}

async function forward() {
  const box = document.getElementById("forward");
  const status = document.getElementById("forward-status");
  const say = (text, isError) => {
    status.textContent = text;
    status.className = isError ? "error" : "ok";
  };
  document.getElementById("forward-close").onclick = () => window.close();
  const payload = readPayload();
  document.getElementById("forward-link").hidden = true;  // a reused window: nothing of the last one stays
  if (!payload || !payload.text) {
    document.getElementById("forward-text").textContent = "";
    document.getElementById("forward-from").textContent = "";
    return say(box.dataset.nothing, true);
  }
  document.getElementById("forward-text").textContent = payload.text.slice(0, 400);
  document.getElementById("forward-from").textContent = [payload.author, payload.url].filter(Boolean).join(" · ");
  if (box.dataset.signedIn !== "true") return;
  try {
    const { id, repeated } = await send(box, payload, say);
    sessionStorage.removeItem(KEPT);
    const link = document.getElementById("forward-link");
    link.href = `/inbox?id=${id}`;
    link.hidden = false;
    const result = await waitForRoute(box, id, say);
    if (!result) return;
    say((repeated ? box.dataset.duplicate + " " : "") + outcome(box, result));
  } catch (error) {
    say(error.message, true);
  }
}

document.addEventListener("DOMContentLoaded", forward);
// The bookmarklet reuses an open window: only the #fragment changes, and the page does not reload.
window.addEventListener("hashchange", forward);
