// TrialChain explorer pages. Every value from the server is put on the page as text
// (textContent), never as HTML: participant ids, file names and values come from input files.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const pages = ["overview", "ledger", "run", "participant", "reports", "verify"];
  const navFor = { run: "overview" };
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
    if (!response.ok) {
      let detail = "";
      try { detail = String((await response.json()).error.message); } catch (_) { /* not JSON */ }
      if (response.status === 403) throw new HTTPProblem("Your token does not allow this page" + (detail ? ": " + detail : "") + ".");
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
      const td = document.createElement("td"), link = document.createElement("a");
      link.href = "#/run?id=" + encodeURIComponent(s.run);
      link.textContent = String(s.run);
      td.appendChild(link);
      row.appendChild(td);
      [s.stage, s.kind, s.entry, s.records, s.signer, s.meaning, s.signedAt].forEach((v) => cell(row, v));
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

  let runQuery = new URLSearchParams();
  async function run(query) {
    const id = query.get("id") || "";
    if (!/^[0-9]{1,12}$/.test(id)) throw new HTTPProblem("A stage run is named by its number: open one from the overview.");
    const params = new URLSearchParams();
    for (const name of ["participant", "visit", "item", "page"]) if (query.get(name)) params.set(name, query.get(name));
    const data = await request(`v1/runs/${id}?` + params.toString(), "json");
    runQuery = query;
    const facts = $("run-facts");
    facts.replaceChildren();
    fact(facts, "Run", `${data.run.id} (${data.run.stage}, ${data.run.kind})`);
    fact(facts, "Ledger entry", data.run.entry);
    fact(facts, "Records in the run", data.run.records);
    fact(facts, "Record root", data.run.recordRoot);
    fact(facts, "You see", data.scope);
    for (const name of ["participant", "visit", "item"]) $("run-" + name).value = query.get(name) || "";
    $("run-count").textContent = `${data.total} record(s) match; page ${data.page} of ${data.pages}.`;
    $("run-prev").disabled = data.page <= 1;
    $("run-next").disabled = data.page >= data.pages;
    const body = $("run-records").tBodies[0];
    body.replaceChildren();
    for (const r of data.records) {
      const row = document.createElement("tr");
      cell(row, r.id);
      const who = document.createElement("td"), link = document.createElement("a");
      link.href = "#/participant?id=" + encodeURIComponent(r.participant);
      link.textContent = r.participant;
      who.appendChild(link);
      row.appendChild(who);
      [r.site, r.visit, r.item, r.value, r.observedAt].forEach((v) => cell(row, v));
      cell(row, r.leafHash.slice(0, 16) + "…", "hash");
      body.appendChild(row);
    }
    const rejects = $("run-rejects").tBodies[0];
    rejects.replaceChildren();
    for (const x of data.rejects) {
      const row = document.createElement("tr");
      [x.file, x.line, x.field, x.reason].forEach((v) => cell(row, v));
      rejects.appendChild(row);
    }
  }

  function runPage(delta) {
    const query = new URLSearchParams(runQuery);
    query.set("page", String(Math.max(1, Number(query.get("page") || "1") + delta)));
    location.hash = "#/run?" + query.toString();
  }

  // Record ids as ranges: 63–67, 70.
  function ranges(ids) {
    const sorted = ids.slice().sort((a, b) => a - b), parts = [];
    for (let i = 0; i < sorted.length; i++) {
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
      parts.push(i === j ? String(sorted[i]) : `${sorted[i]}–${sorted[j]}`);
      i = j;
    }
    return parts.join(", ");
  }

  function money(amount, minorUnits, currency) {
    if (!Number.isInteger(amount)) return "—";
    if (!Number.isInteger(minorUnits) || minorUnits < 0 || minorUnits > 4) return `${amount} (minor units) ${currency || ""}`;
    const sign = amount < 0 ? "-" : "", abs = Math.abs(amount), unit = 10 ** minorUnits;
    const whole = Math.floor(abs / unit), fraction = String(abs % unit).padStart(minorUnits, "0");
    return `${sign}${whole}${minorUnits ? "." + fraction : ""} ${currency || ""}`;
  }

  async function participant(query) {
    const id = (query.get("id") || "").trim();
    $("participant-id").value = id;
    for (const table of ["participant-consents", "participant-payouts", "participant-records"]) $(table).tBodies[0].replaceChildren();
    $("participant-facts").replaceChildren();
    $("participant-adherence").replaceChildren();
    if (!id) return;
    const data = await request("v1/participants/" + encodeURIComponent(id), "json");
    fact($("participant-facts"), "Participant", data.participant);
    fact($("participant-facts"), "Site", data.sites.join(", ") || "—");
    for (const c of data.consents) {
      const row = document.createElement("tr");
      [c.record, c.formVersion, c.status, c.signedAt, c.periodStart, c.periodEnd].forEach((v) => cell(row, v));
      cell(row, c.document, "hash");
      $("participant-consents").tBodies[0].appendChild(row);
    }
    for (const output of data.payouts) {
      const p = output.participant;
      fact($("participant-facts"), "Total (" + output.output + ")", money(p.total, output.minorUnits, p.currency) + (p.withdrawnAt ? ` — withdrew ${p.withdrawnAt}` : ""));
      for (const line of p.lines || []) {
        const row = document.createElement("tr");
        cell(row, output.output); cell(row, `${line.visitName || ""} (${line.visit})`); cell(row, line.status); cell(row, line.studyDay); cell(row, line.earnedOn);
        cell(row, money(line.earned, output.minorUnits, p.currency));
        cell(row, ranges((line.records || []).map((r) => r.id)));
        cell(row, (line.notes || []).join("; "));
        $("participant-payouts").tBodies[0].appendChild(row);
      }
    }
    for (const output of data.adherence) {
      const a = output.participant, list = $("participant-adherence");
      fact(list, "Adherence (" + output.output + ")", `${(a.pdcBasisPoints / 100).toFixed(2)} % of days covered (${a.daysCovered} of ${a.daysInPeriod}, ${a.periodFrom} to ${a.periodTo})` + (a.belowThreshold ? " — below the threshold" : ""));
      fact(list, "Doses", `${a.dosesTaken} taken of ${a.dosesScheduled} scheduled; arm ${a.arm}`);
    }
    for (const r of data.records) {
      const row = document.createElement("tr");
      [r.visit, r.item, r.value, r.observedAt].forEach((v) => cell(row, v));
      const proveCell = document.createElement("td"), prove = document.createElement("a");
      prove.href = "#/verify?record=" + encodeURIComponent(r.id);
      prove.textContent = String(r.id);
      prove.setAttribute("aria-label", `Prove record ${r.id}`);
      proveCell.appendChild(prove);
      row.appendChild(proveCell);
      cell(row, r.run);
      cell(row, r.leafHash.slice(0, 16) + "…", "hash");
      $("participant-records").tBodies[0].appendChild(row);
    }
  }

  async function reports() {
    const data = await request("v1/reports", "json");
    const body = $("reports-list").tBodies[0];
    body.replaceChildren();
    for (const report of data.reports) {
      const row = document.createElement("tr");
      cell(row, report.name); cell(row, report.version); cell(row, report.sha256, "hash");
      const td = document.createElement("td"), button = document.createElement("button"), status = document.createElement("span");
      button.type = "button";
      button.textContent = "Check and download";
      button.setAttribute("aria-label", "Check and download " + report.name);
      status.setAttribute("role", "status");
      button.addEventListener("click", async () => {
        status.textContent = " checking…";
        try {
          const bytes = await request("v1/reports/" + report.sha256, "bytes");
          const digest = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
          if (digest !== report.sha256) { status.textContent = " ✗ the server sent other bytes than the ledger anchors"; status.className = "bad"; return; }
          status.textContent = " ✓ the bytes have the anchored SHA-256 ";
          status.className = "ok";
          const link = document.createElement("a");
          link.href = URL.createObjectURL(new Blob([bytes]));
          link.download = report.name.split("/").pop();
          link.textContent = "save " + link.download;
          status.appendChild(link);
        } catch (error) {
          status.textContent = " ✗ " + (error instanceof HTTPProblem ? error.message : "the report could not be checked");
          status.className = "bad";
        }
      });
      td.append(button, status);
      row.appendChild(td);
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
    const recordText = $("record-id").value.trim();
    if (recordText && !/^[0-9]{1,15}$/.test(recordText)) { result.textContent = "✗ The record to prove is a whole number."; result.className = "bad"; return; }
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
        keyText, entry, record: recordText ? Number(recordText) : null, canReadEntries: !!token(), storage: localStorage,
        fetchJSON: (path) => request(path, "json"),
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

  let generation = 0;
  async function route() {
    // A page left before its data arrived must not put its message on the next page.
    const mine = ++generation;
    showMessage("");
    const [, name, query] = /^#\/([a-z]+)(?:\?(.*))?$/.exec(location.hash) || [null, "verify", ""];
    const page = pages.includes(name) ? name : "verify";
    for (const p of pages) {
      $("page-" + p).hidden = p !== page;
      const link = $("nav-" + p);
      if (!link) continue;
      if (p === (navFor[page] || page)) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
    }
    try {
      if (page === "overview") await overview();
      if (page === "run") await run(new URLSearchParams(query || ""));
      if (page === "reports") await reports();
      if (page === "participant") await participant(new URLSearchParams(query || ""));
      if (page === "verify") {
        const record = new URLSearchParams(query || "").get("record");
        if (record && /^[0-9]{1,15}$/.test(record)) $("record-id").value = record;
      }
      if (page === "ledger") await ledger(new URLSearchParams(query || "").get("page") || ledgerPage);
    } catch (error) {
      if (mine !== generation) return;
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
    $("run-search").addEventListener("submit", (event) => {
      event.preventDefault();
      const query = new URLSearchParams();
      query.set("id", runQuery.get("id") || "");
      for (const name of ["participant", "visit", "item"]) { const v = $("run-" + name).value.trim(); if (v) query.set(name, v); }
      location.hash = "#/run?" + query.toString();
    });
    $("participant-form").addEventListener("submit", (event) => {
      event.preventDefault();
      location.hash = "#/participant?id=" + encodeURIComponent($("participant-id").value.trim());
    });
    $("run-prev").addEventListener("click", () => runPage(-1));
    $("run-next").addEventListener("click", () => runPage(1));
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
