// The KPI cards, goals, alerts and top tracks: all from the GET /api/kpis object (or a /ws `update` frame).
import { setText, table } from "./dom.js";
import { DASH, fmt } from "./format.js";

let kpis = null; // the last GET /api/kpis data rendered
let monthly = null; // GET /api/revenue/monthly data (the previous sale month's revenue lives there)

export function currentKpis() {
  return kpis;
}

function goal(prefix, g, format) {
  setText(prefix + "_current", format(g.current));
  setText(prefix + "_target", format(g.target));
  setText(prefix + "_progress", fmt.pct(g.progress));
  setText(prefix + "_status", g.status.replace("_", " "));
}

export function renderKpis(data, lastUpdated) {
  kpis = data;
  const f = data.financial, s = data.streaming, m = data.marketing, g = data.growth;
  setText("as_of", fmt.text(data.as_of));
  if (lastUpdated !== undefined) setText("last_updated", fmt.time(lastUpdated));
  setText("total_revenue", fmt.usd(f.total_revenue_usd));
  setText("gross_revenue", fmt.usd(f.gross_revenue_usd));
  setText("adjustments", fmt.usd(f.adjustments_usd));
  setText("royalty_streams", fmt.count(s.royalty_streams_all_time));
  setText("revenue_per_stream", fmt.rate(s.revenue_per_stream));
  setText("latest_month_revenue", fmt.usd(f.latest_month_revenue_usd));
  setText("latest_sale_month", fmt.text(f.latest_sale_month));
  setText("revenue_mom", fmt.signedPct(g.revenue_mom_pct));
  setText("total_streams", fmt.count(s.total_streams_all_time));
  setText("last_7d", fmt.count(s.last_7d));
  setText("streams_wow", fmt.signedPct(g.streams_wow_pct));
  setText("ad_spend", fmt.usd(f.ad_spend_usd_all_time));
  setText("cpc", fmt.usd(m.cpc_usd));
  setText("ctr", fmt.pct(m.ctr_pct));
  setText("tiktok_views_30d", fmt.count(data.social.tiktok.video_views_30d));
  setText("tiktok_engagement_30d", fmt.ratio(data.social.tiktok.engagement_rate_30d));
  setText("linktree_views_30d", fmt.count(data.social.linktree.views_30d));
  setText("linktree_clicks_30d", fmt.count(data.social.linktree.clicks_30d));
  goal("goal_revenue", data.goals.monthly_revenue, fmt.usd);
  goal("goal_streams", data.goals.monthly_streams, fmt.count);
  goal("goal_followers", data.goals.spotify_followers, fmt.count);
  for (const bar of document.querySelectorAll("progress[data-goal]")) {
    const value = data.goals[bar.dataset.goal];
    bar.value = value.progress;
    bar.dataset.status = value.status;
  }
  for (const delta of document.querySelectorAll(".delta")) {
    delta.classList.toggle("down", delta.textContent.startsWith("-"));
    delta.classList.toggle("up", delta.textContent.startsWith("+"));
  }
  renderPreviousMonth();
  renderAlerts(data.alerts);
  renderTopTracks(s.top_tracks);
  document.getElementById("cards").dataset.ready = "true";
}

// The monthly section hands its rows over: the previous sale month's card reads them.
export function setMonthly(rows) {
  monthly = rows;
  renderPreviousMonth();
}

function renderPreviousMonth() {
  if (!kpis || !monthly) return;
  const latest = kpis.financial.latest_sale_month;
  // The sale month before the latest one that DistroKid reported (the pair growth.revenue_mom_pct compares).
  const reported = monthly.filter((row) => row.transaction_count > 0 && (!latest || row.month < latest));
  const previous = reported.length ? reported[reported.length - 1] : null;
  setText("previous_sale_month", previous ? previous.month : DASH);
  setText("previous_month_revenue", previous ? fmt.usd(previous.actual_revenue) : DASH);
}

function renderAlerts(alerts) {
  const element = document.getElementById("alerts");
  element.replaceChildren();
  for (const alert of alerts) {
    const item = document.createElement("span");
    item.className = "alert alert-" + alert.severity;
    item.textContent = alert.message;
    element.appendChild(item);
  }
  element.hidden = alerts.length === 0;
}

function renderTopTracks(tracks) {
  table("table-tracks", [
    { label: "Track", value: (t) => fmt.text(t.title) },
    { label: "Artist", value: (t) => fmt.text(t.artist) },
    { label: "Streams", value: (t) => fmt.count(t.streams), num: true },
    { label: "Revenue", value: (t) => fmt.usd(t.revenue_usd), num: true },
  ], tracks.map((t) => ({ key: t.isrc, item: t })));
}
