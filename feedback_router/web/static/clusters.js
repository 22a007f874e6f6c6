// A cluster's page: the split button acts only on a choice it can carry out (some items, not all).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("split-form");
  const button = document.getElementById("split-button");
  const note = document.getElementById("split-note");
  if (!form || !button || !note) return;
  const boxes = [...form.querySelectorAll('input[type="checkbox"][name="feedback_ids"]')];
  function update() {
    const chosen = boxes.filter((box) => box.checked).length;
    const usable = chosen > 0 && chosen < boxes.length;
    button.setAttribute("aria-disabled", String(!usable));
    if (chosen === 0) note.textContent = note.dataset.none;
    else if (chosen === boxes.length) note.textContent = note.dataset.all;
    else note.textContent = note.dataset.some.replace("{count}", chosen);
  }
  // aria-disabled rather than disabled: the button stays reachable by Tab and says why it waits.
  form.addEventListener(
    "submit",
    (event) => {
      if (button.getAttribute("aria-disabled") === "true") {
        event.preventDefault();
        event.stopImmediatePropagation();
        window.feedbackRouter.flash(note.textContent, true);
      }
    },
    true,
  );
  boxes.forEach((box) => box.addEventListener("change", update));
  update();
});
