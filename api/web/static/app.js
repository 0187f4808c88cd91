// The web app's few behaviours beyond htmx: the rich-text editor (what is edited is what is posted, and the
// server sanitises it on approval), the variable picker, the confirmation dialog and the snooze time's zone.
"use strict";

// Run on the page as loaded and on every part htmx swaps in (a proposal opened in the inbox's panel).
htmx.onLoad((root) => {
  const editor = root.querySelector("#editor");
  const body = root.querySelector("#body_html");
  if (editor && body) {
    const sync = () => { body.value = editor.innerHTML; };
    editor.addEventListener("input", sync);
    editor.closest("form").addEventListener("submit", sync);
    root.querySelectorAll(".toolbar [data-command]").forEach((button) => {
      button.addEventListener("click", () => {
        editor.focus();
        const command = button.dataset.command;
        const value = command === "createLink" ? window.prompt("Link address (https://…)") : null;
        if (command !== "createLink" || value) document.execCommand(command, false, value);
        sync();
      });
    });
    root.querySelectorAll("select.variables").forEach((picker) => {
      picker.addEventListener("change", () => {
        if (!picker.value) return;
        editor.focus();
        document.execCommand("insertText", false, picker.value);
        picker.value = "";
        sync();
      });
    });
  }
  root.querySelectorAll("[data-confirm]").forEach((button) => {
    const dialog = document.getElementById(button.dataset.confirm);
    button.addEventListener("click", () => {
      if (editor && body) body.value = editor.innerHTML;
      if (button.form && !button.form.reportValidity()) return;
      dialog.showModal();
    });
  });
  root.querySelectorAll("dialog [data-close]").forEach((button) => {
    button.addEventListener("click", () => button.closest("dialog").close());
  });
  // A filter's choice reloads the list at once (the search box waits for typing to pause). Said here rather than
  // in a trigger filter, which htmx would have to evaluate: the content security policy allows no eval.
  root.querySelectorAll("form.filters select").forEach((select) => {
    select.addEventListener("change", () => htmx.trigger(select.form, "filter"));
  });
  root.querySelectorAll("form[data-local-time]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (event.submitter && event.submitter.name === "preset") return; // a preset names its own time
      const local = form.querySelector("input[type=datetime-local]");
      form.querySelector("input[name=until]").value = new Date(local.value).toISOString();
    });
  });
});

// Expiry countdowns tick while the inbox is open.
function countDown() {
  document.querySelectorAll("[data-expires]").forEach((element) => {
    const left = Math.floor((Date.parse(element.dataset.expires) - Date.now()) / 60000);
    element.textContent = left <= 0 ? "expired"
      : `expires in ${Math.floor(left / 1440)}d ${Math.floor((left % 1440) / 60)}h ${left % 60}m`;
  });
}
setInterval(countDown, 30000);
