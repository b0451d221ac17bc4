// The hub's small enhancements. Every page works without them: forms show all fields, the
// backfill and sync status is current at load time; with them, forms show only the fields that
// apply, long actions show they are working, and the progress bar and run status follow the job.
(function () {
  "use strict";

  // Long actions (Test, Save & Test, the embedding switch): the pressed button shows a spinner and
  // the form's buttons are disabled until the next page arrives, so nobody presses twice.
  const markBusy = (form, submitter, label) => {
    if (submitter && submitter.name) {
      // A disabled button is not sent with the form: keep which one was pressed.
      const kept = document.createElement("input");
      kept.type = "hidden";
      kept.name = submitter.name;
      kept.value = submitter.value;
      form.appendChild(kept);
    }
    form.querySelectorAll("button").forEach((button) => { button.disabled = true; });
    if (submitter) {
      submitter.setAttribute("aria-busy", "true");
      submitter.dataset.label = submitter.textContent;
      submitter.textContent = label;
    }
  };
  const unmarkBusy = (form) => {
    form.querySelectorAll("button").forEach((button) => {
      button.disabled = false;
      if (button.dataset.label) button.textContent = button.dataset.label;
      button.removeAttribute("aria-busy");
    });
  };
  document.querySelectorAll("form[data-busy]").forEach((busyForm) => {
    busyForm.addEventListener("submit", (event) => {
      const submitter = event.submitter || busyForm.querySelector("button[type=submit]");
      const label = submitter && submitter.value === "save" ? "Saving…" : busyForm.dataset.busy;
      markBusy(busyForm, submitter, label);
    });
  });
  // Back from the browser's page cache: the buttons work again.
  window.addEventListener("pageshow", () => document.querySelectorAll("form[data-busy]").forEach(unmarkBusy));

  // Provider form: show the fields of the chosen provider type, suggest its catalog models,
  // and offer only fallbacks with the same dimensions for embeddings.
  const form = document.getElementById("provider-form");
  if (form) {
    const fields = JSON.parse(form.dataset.providerFields);
    const fallbackDims = JSON.parse(form.dataset.fallbackDimensions);
    const optional = new Set(Object.values(fields).flat());
    const provider = form.querySelector("[name=provider]");
    const subtype = form.querySelector("[name=subtype]");
    const model = form.querySelector("[name=model_name]");
    const dims = form.querySelector("[name=dimensions]");
    const fallback = form.querySelector("[name=fallback_integration]");
    const catalogDims = (name) => {
      const list = document.getElementById("models-" + provider.value);
      if (!list) return null;
      const option = Array.from(list.options).find((o) => o.value === name);
      const match = option && option.textContent.match(/(\d+) dims/);
      return match ? Number(match[1]) : null;
    };
    const update = () => {
      const shown = new Set(fields[provider.value] || []);
      optional.forEach((name) => {
        const wrapper = form.querySelector('[data-field="' + name + '"]');
        if (wrapper) wrapper.hidden = !shown.has(name);
      });
      model.setAttribute("list", "models-" + provider.value);
      const wanted = Number(dims && dims.value) || catalogDims(model.value);
      Array.from(fallback.options).forEach((option) => {
        if (!option.value) return;
        const theirs = fallbackDims[option.value];
        option.disabled = subtype.value === "embedding" && wanted && theirs && theirs !== wanted;
      });
    };
    [provider, subtype, model, dims].forEach((el) => el && el.addEventListener("input", update));
    provider.addEventListener("change", update);
    update();
  }

  // Backfill progress: poll the job until it ends, then refresh the coverage table.
  const job = document.getElementById("job");
  if (job && job.dataset.statusUrl && job.dataset.active === "1") {
    const set = (key, value) => {
      const el = job.querySelector('[data-job="' + key + '"]');
      if (el) el.textContent = value;
    };
    const bar = job.querySelector(".progress");
    const poll = async () => {
      let state;
      try {
        const response = await fetch(job.dataset.statusUrl, { headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error("HTTP " + response.status);
        state = await response.json();
      } catch (error) {
        set("status", "status unavailable (" + error.message + "); retrying");
        setTimeout(poll, 3000);
        return;
      }
      set("status", state.status);
      set("percent", state.percent);
      set("processed", state.processed);
      set("total", state.total);
      set("embedded", state.embedded);
      set("current", state.current);
      set("failed", state.failed);
      set("eta", state.eta_seconds === null ? "—" : state.eta_seconds + " s");
      if (state.provider) set("provider", state.provider);
      bar.setAttribute("aria-valuenow", state.percent);
      bar.querySelector(".bar").style.width = state.percent + "%";
      const errors = job.querySelector('[data-job="errors"]');
      errors.replaceChildren(...state.last_errors.map((text) => {
        const li = document.createElement("li");
        li.textContent = text;
        return li;
      }));
      if (state.active) {
        setTimeout(poll, 1000);
        return;
      }
      const cancel = document.getElementById("cancel-backfill");
      if (cancel) cancel.hidden = true;
      (state.coverage || []).forEach((row) => {
        const tr = document.querySelector('#coverage tr[data-table="' + row.table + '"]');
        if (!tr) return;
        ["records", "vectors", "queued", "percent"].forEach((key) => {
          const cell = tr.querySelector('[data-col="' + key + '"]');
          if (cell && (key !== "percent" || row.records)) cell.textContent = row[key];
        });
        const meter = tr.querySelector("meter");
        if (meter) meter.value = row.percent;
      });
    };
    setTimeout(poll, 500);
  }

  // Data Sources: Sync now starts the run through the API and the card and run history follow it
  // (queued → running → synced) without a reload; a run already going at load time is followed too.
  const csrf = () => {
    const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
    return cookie ? cookie.split("=")[1] : "";
  };
  const BADGES = { queued: "warn", running: "warn", succeeded: "good", partial: "warn", failed: "bad" };
  const runRow = (run) => {
    const table = document.getElementById("runs");
    if (!table) return null;
    let row = table.querySelector('tr[data-run="' + run.id + '"]');
    if (!row) {
      row = document.createElement("tr");
      row.dataset.run = run.id;
      const cells = [["", "#" + run.id], ["", run.source_name], ["status", ""], ["", "just now"]];
      ["fetched", "created", "updated", "vectorized", "vector_failed"].forEach((c) => cells.push([c, ""]));
      cells.push(["errors", ""]);
      cells.forEach(([col, text]) => {
        const td = document.createElement("td");
        if (col) td.dataset.col = col;
        if (col && col !== "status" && col !== "errors") td.className = "num";
        if (col === "errors") td.className = "reason";
        td.textContent = text;
        row.appendChild(td);
      });
      table.tBodies[0].prepend(row);
    }
    return row;
  };
  const showRun = (card, run) => {
    const badge = card.querySelector("[data-run-badge]");
    badge.textContent = run.status === "succeeded" ? "synced" : run.status;
    badge.className = "badge " + (BADGES[run.status] || "");
    card.querySelector("[data-run-summary]").textContent =
      run.status + " · " + run.fetched + " fetched, " + run.created + " new, " + run.vectorized + " vectorized";
    const row = runRow(run);
    if (!row) return;
    row.querySelector('[data-col="status"]').textContent = run.status;
    ["fetched", "created", "updated", "vectorized", "vector_failed"].forEach((col) => {
      row.querySelector('[data-col="' + col + '"]').textContent = run[col];
    });
    row.querySelector('[data-col="errors"]').textContent = run.errors.slice(0, 3).join(" · ");
  };
  const followRun = async (card, runId) => {
    const form = card.querySelector(".sync-form");
    for (;;) {
      let run;
      try {
        const response = await fetch("/api/v1/etl/runs/" + runId + "/", { headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error("HTTP " + response.status);
        run = await response.json();
      } catch (error) {
        card.querySelector("[data-run-summary]").textContent = "status unavailable (" + error.message + "); retrying";
        await new Promise((resolve) => setTimeout(resolve, 3000));
        continue;
      }
      showRun(card, run);
      if (!run.active) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    if (form) unmarkBusy(form);
  };
  document.querySelectorAll("article.source").forEach((card) => {
    const form = card.querySelector(".sync-form");
    if (card.dataset.activeRun) {
      if (form) markBusy(form, form.querySelector("button"), "Syncing…");
      followRun(card, card.dataset.activeRun);
    }
    if (!form) return;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      markBusy(form, form.querySelector("button"), "Syncing…");
      const response = await fetch(card.dataset.syncUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrf(), Accept: "application/json" },
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        unmarkBusy(form);
        const reason = typeof body.detail === "string" ? body.detail : JSON.stringify(body);
        card.querySelector("[data-run-summary]").textContent = "not started: " + reason;
        return;
      }
      const empty = document.getElementById("no-runs");
      if (empty) empty.hidden = true;
      followRun(card, body.id);
    });
  });
})();
