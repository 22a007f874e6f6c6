// Settings shared by the service worker (importScripts) and the options page (<script src>).
"use strict";

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
    return { error: "Enter a full URL, e.g. https://feedback.example.org" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { error: "The service URL must start with http:// or https://" };
  }
  if (url.search || url.hash || url.username || url.password) {
    return { error: "Leave out the query, fragment and credentials: just the service's address" };
  }
  return { url: (url.origin + url.pathname).replace(/\/+$/, "") };
}
