// Notices: copy a message to the clipboard, and mark a notice done once the author was told by hand.
"use strict";

(() => {
  const list = document.getElementById("notices");
  if (!list) return;
  const words = JSON.parse(list.dataset.words);
  const { api, flash } = window.feedbackRouter;

  async function copy(field) {
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      field.select(); // no clipboard permission (an insecure address): selected for Ctrl+C instead
      document.execCommand("copy");
    }
    flash(words.copied, false);
  }

  list.addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.classList.contains("copy")) {
      await copy(document.getElementById(button.dataset.for));
      return;
    }
    if (!button.classList.contains("done")) return;
    button.disabled = true;
    try {
      const notice = await api("POST", `/v1/notices/${button.dataset.id}/done`);
      const card = button.closest(".notice-card");
      card.dataset.status = notice.status;
      const state = card.querySelector(".state");
      state.className = `state state-${notice.status}`;
      state.textContent = words.sent;
      const note = document.createElement("span");
      note.className = "muted done-note";
      note.textContent = notice.external_ref || words.sent;
      button.replaceWith(note);
      flash(words.done, false);
    } catch (error) {
      flash(error.message, true);
      button.disabled = false;
    }
  });
})();
