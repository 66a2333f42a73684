// TrialChain explorer pages. Every value from the server is put on the page as text
// (textContent), never as HTML: participant ids, file names and values come from input files.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const pages = ["overview", "ledger", "verify"];
  const tokenKey = "trialchain:token", pinnedKey = "trialchain:pinned-ledger-key";

  function token() { return sessionStorage.getItem(tokenKey) || ""; }

  function showMessage(text) {
    const box = $("message");
    box.textContent = text;
    box.hidden = !text;
  }

  class HTTPProblem extends Error {}

  async function request(path, kind) {
    const headers = token() ? { Authorization: "Bearer " + token() } : {};
    let response;
    try {
      response = await fetch("/" + path, { headers, cache: "no-store" });
    } catch (error) {
      throw new HTTPProblem("The server could not be reached.");
    }
    if (response.status === 401) throw new HTTPProblem("This needs an access token: paste one above (ask the trial's operator for an auditor token).");
    if (response.status === 403) throw new HTTPProblem("Your token does not allow this page.");
    if (!response.ok) {
      let detail = "";
      try { detail = (await response.json()).error.message; } catch (_) { /* not JSON */ }
      throw new HTTPProblem(`The server answered ${response.status}${detail ? ": " + detail : ""}.`);
    }
    if (kind === "json") {
      try { return await response.json(); } catch (_) { throw new HTTPProblem("The server sent something that is not JSON."); }
    }
    if (kind === "text") return await response.text();
    return new Uint8Array(await response.arrayBuffer());
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "—" : String(text);
    if (className) td.className = className;
    row.appendChild(td);
  }

  function fact(list, term, value) {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = term;
    dd.textContent = String(value);
    list.append(dt, dd);
  }

  async function overview() {
    const data = await request("v1/overview", "json");
    const facts = $("overview-facts");
    facts.replaceChildren();
    fact(facts, "Trial", data.trial);
    fact(facts, "Log origin", data.origin);
    fact(facts, "Entries (latest checkpoint)", data.size);
    fact(facts, "Checkpoint signed at (UTC)", data.signedAt);
    const witnesses = $("overview-witnesses");
    witnesses.replaceChildren();
    for (const w of data.witnesses || []) {
      const li = document.createElement("li");
      li.textContent = `${w.name}: ` + (w.lastCosigned === null ? "has not cosigned yet" : `cosigned size ${w.lastCosigned}` + (w.lastCosigned === data.size ? " (the latest)" : ""));
      witnesses.appendChild(li);
    }
    if (!witnesses.children.length) { const li = document.createElement("li"); li.textContent = "No witness is configured."; witnesses.appendChild(li); }
    const body = $("overview-stages").tBodies[0];
    body.replaceChildren();
    for (const s of data.stages || []) {
      const row = document.createElement("tr");
      [s.run, s.stage, s.kind, s.entry, s.records, s.signer, s.meaning, s.signedAt].forEach((v) => cell(row, v));
      body.appendChild(row);
    }
  }

  let ledgerPage = 1;
  async function ledger(page) {
    const asked = Number(page);
    if (!Number.isSafeInteger(asked) || asked < 1) throw new HTTPProblem("A page number is a whole number from 1.");
    const data = await request("v1/entries?page=" + asked, "json");
    ledgerPage = data.page;
    $("ledger-page").value = String(data.page);
    $("ledger-pages").textContent = `of ${data.pages} (${data.size} entries)`;
    $("ledger-prev").disabled = data.page <= 1;
    $("ledger-next").disabled = data.page >= data.pages;
    const body = $("ledger-entries").tBodies[0];
    body.replaceChildren();
    for (const e of data.entries) {
      const row = document.createElement("tr");
      cell(row, e.index); cell(row, e.kind); cell(row, e.signer); cell(row, e.meaning); cell(row, e.signedAt);
      const names = (e.subjects || []).map((s) => s.name).join(", ") + (e.subjectCount > (e.subjects || []).length ? ` (+${e.subjectCount - e.subjects.length} more)` : "");
      cell(row, names); cell(row, e.materialCount); cell(row, e.leafHash.slice(0, 16) + "…", "hash");
      body.appendChild(row);
    }
  }

  async function verify() {
    const steps = $("verify-steps"), result = $("verify-result");
    steps.replaceChildren();
    result.textContent = "Checking…";
    result.className = "";
    const keyText = $("ledger-key").value;
    if ($("pin-key").checked) localStorage.setItem(pinnedKey, keyText.trim());
    const entryText = $("entry-index").value.trim();
    let entry = null;
    if (entryText) {
      if (!/^[0-9]{1,15}$/.test(entryText)) { result.textContent = "✗ The entry to prove is a whole number from 0."; result.className = "bad"; return; }
      entry = Number(entryText);
    }
    const step = (ok, text) => {
      const li = document.createElement("li");
      li.className = ok ? "ok" : "bad";
      li.textContent = (ok ? "✓ " : "✗ ") + text;
      steps.appendChild(li);
    };
    try {
      await TrialVerify.run({
        keyText, entry, canReadEntries: !!token(), storage: localStorage,
        fetchText: (path) => request(path, "text"), fetchBytes: (path) => request(path, "bytes"),
      }, step);
      result.textContent = "✓ Everything checked holds: this log is the one signed by the key you gave.";
      result.className = "ok";
    } catch (error) {
      const text = error instanceof TrialCheckError || error instanceof HTTPProblem ? error.message
        : "The check stopped on something unexpected from the server (" + (error && error.name || "error") + ").";
      step(false, text);
      result.textContent = "✗ Verification failed: " + text;
      result.className = "bad";
    }
  }

  async function route() {
    showMessage("");
    const [, name, query] = /^#\/([a-z]+)(?:\?(.*))?$/.exec(location.hash) || [null, "verify", ""];
    const page = pages.includes(name) ? name : "verify";
    for (const p of pages) {
      $("page-" + p).hidden = p !== page;
      const link = $("nav-" + p);
      if (p === page) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
    }
    try {
      if (page === "overview") await overview();
      if (page === "ledger") await ledger(new URLSearchParams(query || "").get("page") || ledgerPage);
    } catch (error) {
      showMessage(error instanceof HTTPProblem ? error.message : "This page could not be shown: the server sent something unexpected.");
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem(tokenKey, $("token").value.trim());
      $("token").value = "";
      route();
    });
    $("token-forget").addEventListener("click", () => { sessionStorage.removeItem(tokenKey); route(); });
    $("ledger-form").addEventListener("submit", (event) => { event.preventDefault(); location.hash = "#/ledger?page=" + encodeURIComponent($("ledger-page").value.trim()); });
    $("ledger-prev").addEventListener("click", () => { location.hash = "#/ledger?page=" + (ledgerPage - 1); });
    $("ledger-next").addEventListener("click", () => { location.hash = "#/ledger?page=" + (ledgerPage + 1); });
    $("verify-form").addEventListener("submit", (event) => { event.preventDefault(); verify(); });
    const pinned = localStorage.getItem(pinnedKey);
    if (pinned) {
      $("ledger-key").value = pinned;
      $("pin-key").checked = true;
      $("pinned-note").textContent = "The key pinned in this browser is filled in.";
    }
    window.addEventListener("hashchange", route);
    route();
  });
})();
