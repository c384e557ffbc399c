/* The warehouse's own page (docs/DASHBOARD.md), an ES module (its imports come from 'self', as the strict
 * Content-Security-Policy allows; no eval, no inline code).
 *
 * Every figure shown is a value an API endpoint serves; the modules only format (format.js), place (dom.js, cards.js,
 * sections.js) and chart (charts.js) them. load.js fetches them, live.js keeps them live over /ws, and this module
 * starts both and gives staff the button that queues a load and shows its progress.
 */
import { api, csrfToken, getData } from "./api.js";
import { COUNT } from "./format.js";
import { connect } from "./live.js";
import { loadAll, ready, showError } from "./load.js";

async function watchRun(id) {
  const progress = document.getElementById("refresh-progress");
  const button = document.getElementById("refresh-button");
  button.disabled = true;
  for (;;) {
    const run = (await getData("/api/loads/" + id)).data;
    const p = run.progress || {};
    const files = p.files_total ? " · " + COUNT.format(p.files_done || 0) + " of " + COUNT.format(p.files_total) + " files" : "";
    const current = p.current_file ? " · " + p.current_file : "";
    progress.textContent = "Load run " + id + ": " + run.status.replaceAll("_", " ") + files + current;
    progress.dataset.status = run.status;
    if (!["queued", "running"].includes(run.status)) {
      progress.textContent += " · " + COUNT.format(run.rows_changed) + " rows changed, " +
        COUNT.format(run.files_rejected) + " files rejected" + (run.error ? " · " + run.error : "");
      button.disabled = false;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function startRefresh() {
  const progress = document.getElementById("refresh-progress");
  progress.textContent = "Queueing…";
  const result = await api("/api/refresh", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify({}),
  });
  const id = result.payload.data && result.payload.data.load_run_id;
  if (!id) { progress.textContent = result.payload.error || "refused"; return; }
  await watchRun(id);
}

ready.then(() => {
  const button = document.getElementById("refresh-button");
  if (button) button.addEventListener("click", () => startRefresh().catch(showError));
});

loadAll().then(connect);
