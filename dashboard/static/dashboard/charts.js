// Charts: Chart.js from the chartkick wheel (/static/chartkick/Chart.bundle.js, a classic script on window.Chart).
import { COUNT, USD } from "./format.js";

const charts = {};
export const COLORS = ["#4f46e5", "#0ea5e9", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#64748b", "#ec4899"];

export function chart(id, config) {
  if (typeof window.Chart === "undefined") return; // tables still carry every figure
  config.options = Object.assign({
    responsive: true, maintainAspectRatio: false, animation: false,
    interaction: { mode: "index", intersect: false },
    plugins: { legend: { labels: { boxWidth: 12 } } },
  }, config.options || {});
  if (charts[id]) {
    charts[id].data = config.data;
    charts[id].update();
    return;
  }
  charts[id] = new window.Chart(document.getElementById(id), config);
}

export const moneyAxis = { ticks: { callback: (v) => USD.format(v) } };
export const countAxis = { ticks: { callback: (v) => COUNT.format(v) } };
export const moneyTooltip = { callbacks: { label: (c) => c.dataset.label + ": " + USD.format(c.parsed.y ?? c.parsed.x) } };
export const countTooltip = { callbacks: { label: (c) => c.dataset.label + ": " + COUNT.format(c.parsed.y) } };
