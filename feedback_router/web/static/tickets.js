// Tickets: retry a failed delivery, and watch the rows still on their way until they settle.
"use strict";

(() => {
  const table = document.getElementById("tickets");
  if (!table) return;
  const words = JSON.parse(table.dataset.words);
  const { api, flash } = window.feedbackRouter;
  const ON_THE_WAY = 'tr[data-delivery="pending"], tr[data-delivery="sending"]';
  let timer = null;

  // Puts the current version of each given row in place.
  async function refresh(ids) {
    const url = new URL("/tickets/rows", window.location.origin);
    ids.forEach((id) => url.searchParams.append("ids", id));
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return;
    const template = document.createElement("template");
    template.innerHTML = await response.text();
    for (const row of template.content.querySelectorAll("tr[data-id]")) {
      const old = table.querySelector(`tr[data-id="${row.dataset.id}"]`);
      if (old && old.outerHTML !== row.outerHTML) {
        row.classList.add("fresh");
        old.replaceWith(row);
      }
    }
  }

  function watch() {
    if (timer) return;
    timer = window.setTimeout(async () => {
      timer = null;
      const ids = [...table.querySelectorAll(ON_THE_WAY)].map((row) => row.dataset.id);
      if (!ids.length) return;
      try {
        await refresh(ids);
      } finally {
        watch();
      }
    }, 2000);
  }

  table.addEventListener("submit", async (event) => {
    const form = event.target.closest("form.retry");
    if (!form) return;
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const ticket = await api("POST", `/v1/tickets/${form.dataset.id}/retry`);
      flash(words.retried.replace("{id}", ticket.id), false);
      await refresh([ticket.id]);
      watch();
    } catch (error) {
      flash(error.message, true);
      button.disabled = false;
    }
  });

  watch();
})();
