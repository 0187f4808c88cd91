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
  // Filtering again gives the list its address back (see the proposal opened while the list loads, below).
  root.querySelectorAll("form.filters").forEach((form) => {
    const own = () => form.setAttribute("hx-push-url", "true");
    form.addEventListener("input", own);
    form.addEventListener("change", own);
  });
  // An invitation's token is in the link after "#" (never sent to a server, so in no log): the form posts it.
  root.querySelectorAll("form[data-invitation]").forEach((form) => {
    if (location.hash.length > 1 && !form.elements.invitation.value) {
      form.elements.invitation.value = location.hash.slice(1);
      history.replaceState(null, "", location.pathname); // out of the address bar and the browser's history
    }
  });
  root.querySelectorAll("form[data-local-time]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (event.submitter && event.submitter.name === "preset") return; // a preset names its own time
      const local = form.querySelector("input[type=datetime-local]");
      form.querySelector("input[name=until]").value = new Date(local.value).toISOString();
    });
  });
});

// The draft as the operator left it when their session ended, for this tab only (sessionStorage).
const KEPT = "outreach:kept-draft";

function proposalPage(form) {
  return new URL(form.action).pathname.replace(/\/approve$/, ""); // the takeover form posts to its approval
}

function keepDraft() {
  const form = document.getElementById("takeover");
  if (!form) return null;
  const editor = form.querySelector("#editor");
  if (editor) form.elements.body_html.value = editor.innerHTML;
  const values = {};
  for (const field of form.elements) {
    if (field.name && field.name !== "csrf" && field.type !== "submit") values[field.name] = field.value;
  }
  const page = proposalPage(form);
  sessionStorage.setItem(KEPT, JSON.stringify({ page, values }));
  return page;
}

// Signing out leaves nothing of a draft behind for whoever signs in next in this tab.
document.addEventListener("submit", (event) => {
  if (event.target.matches("form.sign-out")) sessionStorage.removeItem(KEPT);
});

htmx.onLoad((root) => {
  const form = root.querySelector("#takeover");
  const kept = JSON.parse(sessionStorage.getItem(KEPT) || "null");
  if (!form || !kept || proposalPage(form) !== kept.page) return;
  sessionStorage.removeItem(KEPT);
  const channel = form.elements.channel && form.elements.channel.value;
  for (const [name, value] of Object.entries(kept.values)) {
    if (form.elements[name] && form.elements[name].type !== "hidden") form.elements[name].value = value;
  }
  // Another channel than drafted: its own fields come as it does (the message's stay as typed).
  if (channel && form.elements.channel.value !== channel) form.elements.channel.dispatchEvent(new Event("change"));
  const editor = form.querySelector("#editor");
  if (editor && kept.values.body_html) {
    editor.innerHTML = kept.values.body_html; // what this operator typed in this tab, sanitised again on approval
    form.elements.body_html.value = kept.values.body_html;
  }
  const back = document.createElement("p");
  back.className = "done";
  back.setAttribute("role", "status");
  back.textContent = "You are signed in again: the edits you had not saved are back in the draft.";
  form.prepend(back);
});

// A proposal opened from the list while the list is still loading (a search waits for typing to pause) keeps its
// address: the list that comes after it is shown, but does not put its own address in the bar (htmx reads
// `hx-push-url` when the response comes).
document.addEventListener("htmx:beforeRequest", (event) => {
  if (!event.detail.elt.matches("[data-row]")) return;
  document.querySelectorAll("form.filters").forEach((form) => form.setAttribute("hx-push-url", "false"));
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

// The inbox's triage loop: the open proposal is marked in the list; a decision taken in the panel stays in the
// panel and opens the next proposal, the list as it was; keys move, open and decide without the mouse.
const PANEL = "#panel";

function rows() {
  return [...document.querySelectorAll("[data-row]")];
}

function openRow(link) {
  rows().forEach((row) => row.removeAttribute("aria-current"));
  link.setAttribute("aria-current", "true");
  link.closest(".row").scrollIntoView({ block: "nearest" });
}

// The first proposal after `current` not decided yet: past the last one loaded, the list loads its next page first
// (as "Show more" does), so a queue is cleared to its end without leaving it.
async function nextUndecided(current) {
  const after = () => rows().slice(rows().indexOf(current) + 1).find((link) => !link.closest(".decided"));
  const more = document.querySelector(".rows .more a");
  if (!after() && more) {
    await htmx.ajax("GET", more.getAttribute("href"), { target: more.closest("li"), swap: "outerHTML" });
  }
  return after();
}

function openInPanel(link) {
  openRow(link);
  htmx.ajax("GET", link.getAttribute("href"), { target: PANEL, select: "#detail-content", swap: "innerHTML" });
}

// On a narrow screen (a tablet held upright) the panel sits below the whole list: a proposal opens as its own page
// there, at the top, rather than far below where it was tapped.
const NARROW = window.matchMedia("(max-width: 1000px)");
document.addEventListener("htmx:confirm", (event) => {
  const row = event.detail.elt;
  if (NARROW.matches && row.matches("[data-row]")) {
    event.preventDefault();
    location.assign(row.getAttribute("href"));
  }
});

htmx.onLoad((root) => {
  root.querySelectorAll("[data-row]").forEach((link) => link.addEventListener("click", () => openRow(link)));
  // A decision taken in the panel is posted from there, and its answer shown there.
  if (root.closest && root.closest(PANEL)) {
    root.querySelectorAll("form[method=post]:not(.sandbox)").forEach((form) => {
      form.setAttribute("hx-post", form.getAttribute("action"));
      form.setAttribute("hx-target", PANEL);
      form.setAttribute("hx-select", "#detail-content");
      form.setAttribute("hx-swap", "innerHTML");
      htmx.process(form);
    });
  }
  // The message's fields go with the channels that send a message: a call says its script only.
  const channel = root.querySelector("#channel");
  const message = root.querySelector("#message-fields");
  if (channel && message) {
    channel.addEventListener("change", () => { message.hidden = channel.value === "voice"; });
  }
  root.querySelectorAll("[data-keys-help]").forEach((button) => {
    button.addEventListener("click", () => document.getElementById("keys").showModal());
  });
});

document.addEventListener("htmx:beforeSwap", (event) => {
  const answer = event.detail.xhr;
  // A session that ended mid-way: say so on the sign-in page, never inside the part being swapped; what was typed
  // in the draft is kept in this tab, and signing in again comes back to it.
  if (new URL(answer.responseURL, location.href).pathname === "/app/sign-in") {
    event.detail.shouldSwap = false;
    location.assign(`/app/sign-in?next=${encodeURIComponent(keepDraft() || location.pathname + location.search)}`);
    return;
  }
  // A refusal (a decision the API would not take) is shown in the panel, in the API's words.
  if (event.detail.target.id === "panel" && answer.status >= 400) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// A decision's answer is the proposal's page, redirected to with what was done.
function decidedIn(event) {
  const done = new URL(event.detail.xhr.responseURL, location.href).searchParams.get("done");
  return Boolean(done && event.detail.target.querySelector(".done"));
}

// The panel's swaps (a swap pushed by the server names no target).
function panelOf(event) {
  const target = event.detail.target;
  return target && target.id === "panel" ? target : null;
}

document.addEventListener("htmx:afterSwap", (event) => {
  const panel = panelOf(event);
  const current = document.querySelector("[data-row][aria-current]");
  // Once a decision: the next proposal is opened once, however many times its answer is announced.
  if (panel && decidedIn(event) && current && !current.closest(".row").classList.contains("decided")) {
    const decided = panel.querySelector(".done");
    current.closest(".row").classList.add("decided");
    const said = decided.textContent.trim();
    nextUndecided(current).then((next) => {
      const status = document.getElementById("triage-status");
      status.hidden = false;
      status.textContent = `${said} ${next ? "The next proposal is open." : "That was the last in this list."}`;
      if (next) openInPanel(next);
    });
  }
});

// Where the operator types: keys there are words, not the inbox's keys.
const FIELDS = "input, textarea, select, [contenteditable=true]";

// The draft takes the focus once the panel is settled (its forms post from the panel only from then on), so a key
// pressed as soon as it has the focus decides in the panel — but never from a field of the panel the operator is
// typing in already (a reason's letters would become the keys that decide).
document.addEventListener("htmx:afterSettle", (event) => {
  const panel = panelOf(event);
  const typing = document.activeElement && panel && panel.contains(document.activeElement)
    && document.activeElement.matches(FIELDS);
  const draft = panel && !typing && !decidedIn(event) && panel.querySelector("#draft");
  if (draft) draft.focus({ preventScroll: true });
});

// The keys: j / k move, Enter opens (a link's own), a / e / r / s decide on the open proposal, ? lists them.
document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest(FIELDS) || document.querySelector("dialog[open]")) {
    return;
  }
  const links = rows();
  if (!links.length) return; // not the inbox
  const panel = document.querySelector(PANEL);
  const here = links.indexOf(document.activeElement);
  const at = here >= 0 ? here : links.indexOf(document.querySelector("[data-row][aria-current]"));
  const focusing = { e: "#editor", r: "#reason", s: "#until-local" }[event.key];
  if (event.key === "j" || event.key === "k") {
    const next = links[Math.max(0, Math.min(links.length - 1, at + (event.key === "j" ? 1 : -1)))];
    next.focus();
    next.closest(".row").scrollIntoView({ block: "nearest" });
  } else if (event.key === "a" && panel.querySelector("[data-confirm=confirm-approve]")) {
    panel.querySelector("[data-confirm=confirm-approve]").click();
  } else if (focusing && panel.querySelector(focusing)) {
    panel.querySelector(focusing).focus();
  } else if (event.key === "?") {
    document.getElementById("keys").showModal();
  } else {
    return;
  }
  event.preventDefault();
});

// A conversation's page is kept current by the server: each time the conversation moves, its timeline and status
// badge are pushed (server-sent events) and swapped in; a session that ended goes to sign in, then back here.
document.querySelectorAll("[data-changes]").forEach((live) => {
  const changes = new EventSource(live.dataset.changes);
  changes.addEventListener("timeline", (event) => htmx.swap(live, event.data, { swapStyle: "innerHTML" }));
  changes.addEventListener("signed-out", () => {
    changes.close();
    location.assign(`/app/sign-in?next=${encodeURIComponent(location.pathname)}`);
  });
});
