// Settings shared by the background script (importScripts in Chromium's service worker, listed before
// it in Firefox) and the options page (<script src>).
"use strict";

// The message ``key`` of _locales/<browser language>/messages.json, with $1, $2… filled in.
function t(key, ...values) {
  return chrome.i18n.getMessage(key, values.map(String)) || key;
}

// chrome.storage.local rather than sync: the API key is a secret and should stay on this machine.
const SETTINGS_DEFAULTS = { serviceUrl: "", apiKey: "" };

async function loadSettings() {
  return chrome.storage.local.get(SETTINGS_DEFAULTS);
}

async function saveSettings(settings) {
  await chrome.storage.local.set(settings);
}

// The service URL as typed: must be http(s); trailing slashes go so paths can be appended.
// Returns { url } or { error } with a message for the person typing it.
function normalizeServiceUrl(value) {
  let url;
  try {
    url = new URL(String(value).trim());
  } catch {
    return { error: t("url_not_full") };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { error: t("url_not_http") };
  }
  if (url.search || url.hash || url.username || url.password) {
    return { error: t("url_extras") };
  }
  return { url: (url.origin + url.pathname).replace(/\/+$/, "") };
}
