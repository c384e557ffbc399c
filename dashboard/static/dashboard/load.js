// Loading: the cards first (GET /api/kpis), then every section; what a later /ws update compares against.
import { getData } from "./api.js";
import { renderKpis } from "./cards.js";
import { clearMarks, marks } from "./dom.js";
import {
  renderArtist, renderCampaigns, renderDaily, renderFreshness, renderMonthly, renderPlatform, renderSocial,
} from "./sections.js";

// `loadRunId`: the load run the figures on the page come from (GET /api/kpis metadata, then each update).
export const shown = { loadRunId: null };

// Cards need the DOM (parsed before this deferred module runs); charts also need Chart.js, the classic deferred
// script after it, which has run by DOMContentLoaded.
export const ready = new Promise((resolve) => {
  if (document.readyState !== "loading") resolve(); else document.addEventListener("DOMContentLoaded", resolve);
});
const chartsReady = new Promise((resolve) => {
  if (window.Chart || document.readyState === "complete") resolve();
  else { document.addEventListener("DOMContentLoaded", resolve); window.addEventListener("load", resolve); }
});
const SECTIONS = [
  ["/api/revenue/monthly", (p) => renderMonthly(p.data)],
  ["/api/streaming/daily?days=90", (p) => renderDaily(p.data)],
  ["/api/revenue/platform", (p) => renderPlatform(p.data)],
  ["/api/revenue/artist", (p) => renderArtist(p.data)],
  ["/api/social?granularity=week", (p) => renderSocial(p.data)],
  ["/api/campaigns/streams", (p) => renderCampaigns(p.data)],
  ["/api/sources", (p) => renderFreshness(p.data)],
];

export function showError(error) {
  const element = document.getElementById("changes");
  element.textContent = "Could not load: " + error.message;
  element.className = "changes error";
  element.hidden = false;
}

async function loadKpis() {
  const payload = await getData("/api/kpis");
  await ready;
  renderKpis(payload.data, payload.metadata.last_updated);
  shown.loadRunId = payload.metadata.load_run_id;
  // The bench (bench/dashboard_bench.py) reads this mark: every card filled and painted.
  if (marks.first) requestAnimationFrame(() => performance.mark("dashboard-cards-ready"));
}

export function loadSections() {
  return Promise.all(SECTIONS.map(([path, render]) =>
    getData(path).then(async (payload) => { await chartsReady; render(payload); }).catch(showError)));
}

export async function loadAll() {
  clearMarks();
  // The cards first: one server thread answers these requests in turn, so /api/kpis goes before the charts'.
  await loadKpis().catch(showError);
  await loadSections();
  if (marks.first) {
    marks.first = false;
    requestAnimationFrame(() => performance.mark("dashboard-complete"));
    document.body.dataset.loaded = "true";
  }
}
