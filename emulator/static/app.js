// Polls the server for changes and turns clicks, selections, submits and messages into
// requests to /ui/..., which the emulator forwards to the bot as Slack would.
(function () {
  "use strict";
  const app = document.getElementById("app");
  const picker = document.getElementById("person");
  const toast = document.getElementById("toast");

  if (picker) {
    picker.addEventListener("change", function () {
      const here = document.getElementById("app");
      let url = "/ui?as=" + encodeURIComponent(picker.value);
      if (here && here.dataset.tab === "home") url += "&tab=home";
      else if (here && here.dataset.channel) url += "&c=" + encodeURIComponent(here.dataset.channel);
      window.location.href = url;
    });
  }
  const clock = document.getElementById("clock");
  if (clock) {
    clock.addEventListener("submit", async function (event) {
      event.preventDefault();
      const result = document.getElementById("clock-result");
      result.textContent = "Moving the clock…";
      const seconds = Number(document.getElementById("clock-step").value);
      const data = await post("/ui/clock", { seconds: seconds }, true);
      result.textContent = data.ok ? "Clock moved" : "Clock not moved (" + (data.error || data.status) + ")";
      refresh();
    });
  }
  if (!app) return;

  const who = app.dataset.as;
  const channel = app.dataset.channel;
  const tab = app.dataset.tab;
  let version = app.dataset.version;
  let modalKey = app.dataset.modalKey || "";

  function say(text) {
    toast.textContent = text;
    if (text) setTimeout(function () { if (toast.textContent === text) toast.textContent = ""; }, 5000);
  }

  async function post(url, body, quiet) {
    try {
      const resp = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(Object.assign({ as: who }, body)),
      });
      const data = await resp.json().catch(function () { return { ok: resp.ok }; });
      if (!quiet && !data.ok && data.error && data.error !== "client_validation") say(String(data.error));
      return data;
    } catch (err) {
      say("The emulator did not answer: " + err);
      return { ok: false };
    } finally {
      refresh();
    }
  }

  function nearBottom(el) {
    return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  }

  function setInert() {
    const open = Boolean(document.querySelector("#modal [data-view-id]"));
    document.querySelectorAll("#sidebar, .main, .topbar").forEach(function (el) {
      if (open) {
        el.setAttribute("inert", "");
        el.setAttribute("aria-hidden", "true");
      } else {
        el.removeAttribute("inert");
        el.removeAttribute("aria-hidden");
      }
    });
  }

  function focusModal() {
    setInert();
    const first = document.querySelector("#modal-form input, #modal-form textarea, #modal-form select, #modal-form button");
    const fallback = document.getElementById("composer-text");
    if (first) first.focus();
    else if (fallback && !document.activeElement.closest(".main")) fallback.focus();
  }

  let polling = false;
  async function refresh() {
    if (polling) return;
    polling = true;
    try {
      const query = new URLSearchParams({ as: who, c: channel || "", tab: tab, v: version });
      const resp = await fetch("/ui/fragment?" + query.toString());
      const data = await resp.json();
      if (String(data.version) === String(version)) return;
      version = String(data.version);
      const messages = document.getElementById("messages");
      if (messages && data.messages !== undefined) {
        const stick = nearBottom(messages);
        messages.innerHTML = data.messages;
        if (stick) messages.scrollTop = messages.scrollHeight;
      }
      const home = document.getElementById("home");
      if (home && data.home !== undefined) home.innerHTML = data.home;
      const sidebar = document.getElementById("sidebar");
      if (sidebar && data.sidebar !== undefined) sidebar.innerHTML = data.sidebar;
      if (data.modal_key !== undefined && data.modal_key !== modalKey) {
        modalKey = data.modal_key;
        document.getElementById("modal").innerHTML = data.modal;
        focusModal();
      }
      const status = document.getElementById("bot-status");
      if (status && data.bot_status !== undefined) status.innerHTML = data.bot_status;
      if (data.counts) {
        document.getElementById("inbox-count").textContent = data.counts.inbox;
        document.getElementById("errors-count").textContent = data.counts.errors;
      }
    } catch (err) {
      // The emulator may be restarting; try again on the next tick.
    } finally {
      polling = false;
    }
  }
  setInterval(refresh, 1000);

  const messages = document.getElementById("messages");
  if (messages) messages.scrollTop = messages.scrollHeight;
  if (tab === "home") post("/ui/home/open", {}, true);
  if (modalKey) focusModal();

  function container(el) {
    const msg = el.closest(".msg");
    if (msg) return { channel: msg.dataset.channel, ts: msg.dataset.ts };
    const view = el.closest("[data-view-id]");
    if (view) return { view_id: view.dataset.viewId };
    return {};
  }

  function act(el, value) {
    if (el.dataset.confirm && !window.confirm(el.dataset.confirm)) return;
    const body = Object.assign(
      { action_id: el.dataset.actionId, block_id: el.dataset.blockId, value: value },
      container(el)
    );
    if (el.tagName === "BUTTON") el.disabled = true;
    post("/ui/action", body).finally(function () { el.disabled = false; });
  }

  function fieldValue(el) {
    if (el.tagName === "FIELDSET") {
      const checked = Array.from(el.querySelectorAll("input:checked")).map(function (i) { return i.value; });
      return el.dataset.kind === "checkboxes" ? checked : (checked[0] || null);
    }
    if (el.tagName === "SELECT" && el.multiple) {
      return Array.from(el.selectedOptions).map(function (o) { return o.value; });
    }
    return el.value;
  }

  let threadTs = null;
  function setThread(ts) {
    threadTs = ts;
    const note = document.getElementById("thread-note");
    if (note) note.hidden = !ts;
    const box = document.getElementById("composer-text");
    if (box && ts) box.focus();
  }

  document.addEventListener("click", function (event) {
    const reply = event.target.closest("[data-reply-ts]");
    if (reply) {
      setThread(reply.dataset.replyTs);
      return;
    }
    if (event.target.id === "thread-cancel") {
      setThread(null);
      return;
    }
    const close = event.target.closest("[data-modal-close]");
    if (close) {
      const modal = close.closest("[data-view-id]");
      post("/ui/view/close", { view_id: modal.dataset.viewId, all: close.dataset.modalClose === "all" });
      return;
    }
    const button = event.target.closest("button[data-action-id]");
    if (button) {
      if (button.dataset.url) window.open(button.dataset.url, "_blank", "noopener");
      act(button, button.dataset.value);
    }
  });

  document.addEventListener("change", function (event) {
    const el = event.target.closest("[data-action-id]");
    if (!el || el.closest(".bk-input")) return;
    if (el.tagName === "FIELDSET" && !el.hasAttribute("data-act")) return;
    const value = fieldValue(el);
    if (value === "" || value === null) return;
    act(el, value);
  });

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.id === "modal-form") {
      event.preventDefault();
      const values = {};
      form.querySelectorAll(".bk-input [data-action-id]").forEach(function (el) {
        const block = el.dataset.blockId;
        values[block] = values[block] || {};
        values[block][el.dataset.actionId] = fieldValue(el);
      });
      const modal = form.closest("[data-view-id]");
      const submit = form.querySelector("[data-testid=modal-submit]");
      if (submit) submit.disabled = true;
      post("/ui/view/submit", { view_id: modal.dataset.viewId, values: values }).finally(function () {
        if (submit) submit.disabled = false;
      });
    } else if (form.id === "composer") {
      event.preventDefault();
      const box = document.getElementById("composer-text");
      const text = box.value.trim();
      if (!text) return;
      box.value = "";
      post("/ui/send", { channel: channel, text: text, thread_ts: threadTs }).then(function (data) {
        if (!data.ok && data.error && data.error !== "http_timeout") box.value = text;
      });
    } else if (form.dataset.join) {
      event.preventDefault();
      post("/ui/join", { channel: form.dataset.join }).then(function () { window.location.reload(); });
    }
  });

  const composer = document.getElementById("composer-text");
  if (composer) {
    composer.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        document.getElementById("composer").requestSubmit();
      }
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      const modal = document.querySelector("#modal [data-view-id]");
      if (modal) post("/ui/view/close", { view_id: modal.dataset.viewId, all: false });
    }
  });
})();
