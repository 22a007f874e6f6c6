// Service worker: the context-menu entry, the POST to feedback-router, polling for the routing
// outcome and telling the person on the page (toast) or, where pages cannot be scripted, a notification.
"use strict";

// Firefox runs the background as an event page with settings.js listed before it; Chromium as a service worker.
if (typeof importScripts === "function") importScripts("settings.js");

const MENU_ID = "forward-to-feedback-router";
const POLL_INTERVAL_MS = 1000;
const POLL_LIMIT_MS = 15000; // classification runs in a worker; usually done in a few seconds
const REQUEST_TIMEOUT_MS = 10000;
const MAX_TEXT = 10000; // the API's limit on text; longer selections are cut rather than refused
const MAX_TITLE = 2000; // the API's limit on a metadata value

// Menus persist across service-worker restarts, so they are (re)created only on install/update.
chrome.runtime.onInstalled.addListener(() => {
  chrome.contextMenus.removeAll(() => {
    chrome.contextMenus.create({ id: MENU_ID, title: t("menu_forward"), contexts: ["selection"] });
  });
});

chrome.contextMenus.onClicked.addListener((info, tab) => {
  if (info.menuItemId === MENU_ID) forwardSelection(info, tab);
});

const SOURCES = [
  ["facebook.com", "facebook"],
  ["instagram.com", "instagram"],
  ["x.com", "twitter"],
  ["twitter.com", "twitter"],
  ["youtube.com", "youtube"],
  ["linkedin.com", "linkedin"],
];

// The API's "source" from the page's host; subdomains count (m.facebook.com), look-alikes do not.
function guessSource(pageUrl) {
  let host;
  try {
    host = new URL(pageUrl).hostname.toLowerCase();
  } catch {
    return "forum";
  }
  for (const [domain, source] of SOURCES) {
    if (host === domain || host.endsWith("." + domain)) return source;
  }
  return "forum";
}

// Forward one selection; resolves with what happened (the tests call this, the menu ignores it).
async function forwardSelection(info, tab) {
  const settings = await loadSettings();
  if (!settings.serviceUrl || !settings.apiKey) {
    // Nothing to send to yet: take the person to the options instead of failing quietly.
    await chrome.runtime.openOptionsPage();
    return { ok: false, error: "not configured" };
  }
  tab = tab || {}; // absent for some surfaces (e.g. PDF viewer): no toast then, a notification
  const target = { tabId: tab.id, frameIds: [info.frameId ?? 0] };
  const page = await readPage(target);
  const say = (message, state, link) => tell(target, page.scriptable, message, state, link);

  const text = chooseText(info.selectionText, page.selection).slice(0, MAX_TEXT);
  if (!text) {
    await say(t("nothing_selected"), "error");
    return { ok: false, error: "empty selection" };
  }
  const pageUrl = info.frameUrl || info.pageUrl || tab.url || "";
  const body = {
    text,
    source: guessSource(pageUrl),
    metadata: { page_title: (page.title || tab.title || "").slice(0, MAX_TITLE), forwarded_with: "extension" },
  };
  if (/^https?:/i.test(pageUrl)) body.url = pageUrl; // the API accepts only http(s) URLs
  if (page.author) body.author = { handle: page.author };

  // The same text from the same page is the same feedback: a second click gets the first item back.
  const idempotencyKey = "extension-" + (await sha256(`${pageUrl}\n${text}`));
  let answer;
  try {
    answer = await call(settings, "/v1/feedback", {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "Idempotency-Key": idempotencyKey },
    });
  } catch (error) {
    await say(error.message, "error");
    return { ok: false, error: error.message };
  }
  if (answer.status !== 200 && answer.status !== 202) {
    const message = problem(answer);
    await say(message, "error");
    return { ok: false, status: answer.status, error: message };
  }
  const id = answer.body && answer.body.id;
  if (id == null) {
    const message = t("not_feedback_router", settings.serviceUrl, answer.status);
    await say(message, "error");
    return { ok: false, status: answer.status, error: message };
  }
  const already = t(answer.status === 200 ? "already_forwarded" : "forwarded");
  await say(t("classifying", already, id), "pending");

  const result = await waitForRouting(settings, id);
  const link = result && result.url;
  let message;
  if (result && result.status === "processed") {
    message = routedMessage(already, result);
  } else if (result && result.status === "failed") {
    message = t("classifying_failed", already, id);
  } else if (result) {
    message = t("still_classifying", already, id);
  } else {
    message = t("forwarded_plain", already, id); // the service would not say where it went
  }
  await say(message, result && result.status === "failed" ? "error" : "ok", link);
  return { ok: true, id, result, message };
}

// Where it went, in the browser's language: the kind's name and the team, or each part of a split message.
function routedMessage(already, result) {
  const kind = (value) => (value ? chrome.i18n.getMessage(`kind_${value}`) || value : t("unclassified"));
  const team = (value) => (value === "triage" ? t("triage") : value ?? t("no_team"));
  const where = result.parts && result.parts.length
    ? result.parts.map((part) => `${kind(part.kind)} → ${team(part.team)}`).join("; ")
    : `${kind(result.kind)} → ${team(result.team)}`;
  return t("routed", already, result.id, where);
}

// Chrome's selectionText collapses line breaks; the page's own selection keeps them, so it wins when
// it is the same text (it may have changed since the right-click, or be empty inside form fields).
function chooseText(selectionText, pageSelection) {
  const flat = (value) => (value || "").replace(/\s+/g, " ").trim();
  if (pageSelection && flat(pageSelection) === flat(selectionText)) return pageSelection.trim();
  return (selectionText || pageSelection || "").trim();
}

// Ask GET /v1/forwarded/{id} every second until the worker has classified it, for up to ~15 s.
// Returns the last answer, or null when the service cannot tell (older service, no permission).
async function waitForRouting(settings, id) {
  const deadline = Date.now() + POLL_LIMIT_MS;
  let last = null;
  while (Date.now() < deadline) {
    let answer;
    try {
      answer = await call(settings, `/v1/forwarded/${encodeURIComponent(id)}`);
    } catch {
      answer = null; // a blip while polling is no reason to give up; the item is already in
    }
    if (answer && answer.status === 200 && answer.body) {
      last = answer.body;
      if (last.status !== "received") return last;
    } else if (answer) {
      return last;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  return last;
}

// fetch with the key; network failures become one clear message. Returns { status, body }.
async function call(settings, path, init = {}) {
  let response;
  try {
    response = await fetch(settings.serviceUrl + path, {
      ...init,
      credentials: "omit", // only the key speaks for us, never a signed-in web-app session
      headers: { Authorization: `Bearer ${settings.apiKey}`, "Content-Type": "application/json", ...init.headers },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch {
    throw new Error(t("could_not_reach", settings.serviceUrl));
  }
  const body = await response.json().catch(() => null);
  return { status: response.status, body };
}

async function sha256(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// The error text for a refused request, from the API's {"detail", "errors"} body where there is one.
function problem({ status, body }) {
  if (status === 401) return t("key_rejected_options");
  const detail = body && typeof body.detail === "string" ? body.detail : "";
  const first = body && Array.isArray(body.errors) ? body.errors[0] : null;
  if (detail && first) return `${detail}: ${first.field}: ${first.message}`;
  if (detail) return detail;
  return t("answered_http", status);
}

// Selection, title and author from the page; scriptable: false where Chrome forbids scripting
// (chrome:// pages, the Web Store), so the outcome goes to a notification instead.
async function readPage(target) {
  try {
    const [frame] = await chrome.scripting.executeScript({ target, func: pageDetails });
    return { scriptable: true, ...frame.result };
  } catch {
    return { scriptable: false };
  }
}

// Runs in the page. Best effort: walk up from the selection and take the first author marker inside
// the nearest enclosing element that has one (the post's byline, not the page's first username).
function pageDetails() {
  // The bookmarklet (feedback_router/web/static/bookmarklet.js) finds authors by the same markers.
  const MARKERS = '[itemprop=author], [rel=author], a[href*="/user/"], [data-testid=User-Name] a, #author-text, .username, .author, [data-author]';
  const selection = window.getSelection();
  let node = selection && selection.rangeCount ? selection.getRangeAt(0).commonAncestorContainer : null;
  if (node && node.nodeType !== Node.ELEMENT_NODE) node = node.parentElement;

  const handleOf = (el) => {
    const named = el.matches("[itemprop=author]") && el.querySelector("[itemprop=name]");
    const raw =
      el.getAttribute("data-author") || (named && named.textContent) || el.getAttribute("content") || el.textContent;
    const handle = (raw || "").replace(/\s+/g, " ").trim();
    return handle && handle.length <= 200 ? handle : null; // longer is prose, not a handle
  };

  let author = null;
  for (let el = node; el && !author; el = el.parentElement) {
    const marker = el.matches(MARKERS) ? el : el.querySelector(MARKERS);
    if (marker) author = handleOf(marker);
  }
  if (!author) {
    const meta = document.querySelector("meta[name=author]");
    if (meta) author = handleOf(meta);
  }
  return { selection: selection ? selection.toString() : "", title: document.title, author };
}

// Show the message as a toast on the page, or as a notification where the page cannot be scripted.
async function tell(target, scriptable, message, state, link) {
  if (scriptable) {
    try {
      await chrome.scripting.executeScript({ target, func: showToast, args: [message, state, link || null, t("open_in_inbox"), t("close"), t("language")] });
      return;
    } catch {
      // the page navigated away or became unscriptable: fall through to a notification
    }
  }
  if (state === "pending") return; // a notification per step would be noise; wait for the outcome
  await chrome.notifications.create(`feedback-router-${target.tabId}`, {
    type: "basic",
    iconUrl: chrome.runtime.getURL("icons/icon128.png"),
    title: "feedback-router",
    message,
  });
}

// Runs in the page: one toast, updated in place. Built with DOM calls and a constructed style sheet
// inside a shadow root, so neither the page's CSS nor its CSP/Trusted Types get in the way.
function showToast(message, state, link, openLabel, closeLabel, language) {
  const HOST_ID = "feedback-router-toast";
  let host = document.getElementById(HOST_ID);
  if (!host) {
    host = document.createElement("div");
    host.id = HOST_ID;
    const root = host.attachShadow({ mode: "open" });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(`
      .toast { position: fixed; right: 16px; bottom: 16px; z-index: 2147483647; max-width: 380px;
        display: flex; gap: 8px; align-items: flex-start; padding: 12px 14px; border-radius: 8px;
        border-left: 4px solid #4c6ef5; background: #1f2430; color: #fff; box-shadow: 0 4px 16px #0005;
        font: 14px/1.4 system-ui, sans-serif; }
      .toast.error { border-left-color: #fa5252; }
      .message { flex: 1; overflow-wrap: anywhere; }
      a { color: #91a7ff; white-space: nowrap; }
      a[hidden] { display: none; }
      button { all: unset; cursor: pointer; padding: 0 4px; font-size: 18px; line-height: 1; color: #ccc; }
      button:focus-visible { outline: 2px solid #91a7ff; }`);
    root.adoptedStyleSheets = [sheet];
    const box = document.createElement("div");
    box.className = "toast";
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    box.lang = language; // the toast speaks the extension's language, not the page's: read it so
    const text = document.createElement("span");
    text.className = "message";
    const link = document.createElement("a");
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.textContent = openLabel;
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "×";
    close.setAttribute("aria-label", closeLabel);
    close.addEventListener("click", () => host.remove());
    box.append(text, link, close);
    root.append(box);
    document.documentElement.append(host);
  }
  const box = host.shadowRoot.querySelector(".toast");
  box.classList.toggle("error", state === "error");
  box.querySelector(".message").textContent = message; // the server's words are text, never HTML
  const a = box.querySelector("a");
  a.hidden = !(link && /^https?:/i.test(link));
  if (!a.hidden) a.href = link;
  // While classifying the toast stays; the final word goes away by itself after 8 s.
  clearTimeout(Number(host.dataset.timer));
  if (state !== "pending") host.dataset.timer = String(setTimeout(() => host.remove(), 8000));
}

// For tests and the devtools console: the menu's code path without the menu.
self.forwardSelection = forwardSelection;
self.guessSource = guessSource;
