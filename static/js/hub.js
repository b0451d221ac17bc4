// The hub's small enhancements. Every page works without them: forms show all fields and the
// backfill status is current at load time; with them, forms show only the fields that apply
// and the progress bar follows the job.
(function () {
  "use strict";

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
      set("succeeded", state.succeeded);
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
})();
