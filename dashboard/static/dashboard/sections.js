// The page's sections below the cards: one render per endpoint, each a chart and a table with the same figures.
import { setMonthly } from "./cards.js";
import { chart, COLORS, countAxis, countTooltip, moneyAxis, moneyTooltip } from "./charts.js";
import { link, table } from "./dom.js";
import { fmt, USD } from "./format.js";

// Staff get links into the admin from the freshness table (the page says who is staff as data-*).
const isStaff = document.body.dataset.staff === "true";
const adminUrl = document.body.dataset.adminUrl || "";

export function renderMonthly(rows) {
  setMonthly(rows);
  chart("chart-monthly", {
    type: "bar",
    data: {
      labels: rows.map((r) => r.month),
      datasets: [
        { label: "Actual", data: rows.map((r) => r.actual_revenue), backgroundColor: COLORS[0] },
        { label: "Expected", data: rows.map((r) => r.expected_revenue), type: "line", borderColor: COLORS[2],
          backgroundColor: COLORS[2], pointRadius: 2 },
      ],
    },
    options: { scales: { y: moneyAxis }, plugins: { tooltip: moneyTooltip } },
  });
  const statusBadge = (r) => {
    const span = document.createElement("span");
    span.className = "badge badge-" + r.payment_status;
    span.textContent = r.payment_status + (r.overdue ? " · overdue" : "");
    return span;
  };
  table("table-monthly", [
    { label: "Month", value: (r) => r.month },
    { label: "Actual", value: (r) => fmt.usd(r.actual_revenue), num: true },
    { label: "Expected", value: (r) => fmt.usd(r.expected_revenue), num: true },
    { label: "Variance", value: (r) => fmt.usd(r.variance), num: true,
      className: (r) => (r.variance < 0 ? "neg" : "pos") },
    { label: "Payment", value: statusBadge },
    { label: "Expected payment", value: (r) => fmt.text(r.expected_payment_date) },
  ], rows.slice().reverse().map((r) => ({ key: r.month, item: r })));
}

export function renderDaily(rows) {
  const dates = [...new Set(rows.map((r) => r.date))];
  const sources = [...new Set(rows.map((r) => r.source))];
  const byKey = new Map(rows.map((r) => [r.date + "|" + r.source, r.combined_streams]));
  chart("chart-daily", {
    type: "line",
    data: {
      labels: dates,
      datasets: sources.map((source, i) => ({
        label: source === "distrokid" ? "DistroKid" : source === "toolost" ? "TooLost" : source,
        data: dates.map((d) => (byKey.has(d + "|" + source) ? byKey.get(d + "|" + source) : null)),
        borderColor: COLORS[i], backgroundColor: COLORS[i], pointRadius: 0, borderWidth: 2, spanGaps: false,
      })),
    },
    options: { scales: { y: countAxis, x: { ticks: { maxTicksLimit: 8 } } }, plugins: { tooltip: countTooltip } },
  });
  table("table-daily", [
    { label: "Date", value: (r) => r.date },
    { label: "Source", value: (r) => r.source },
    { label: "Spotify", value: (r) => fmt.count(r.spotify_streams), num: true },
    { label: "Apple", value: (r) => fmt.count(r.apple_streams), num: true },
    { label: "Combined", value: (r) => fmt.count(r.combined_streams), num: true },
  ], rows.slice().reverse().map((r) => ({ key: r.date + "|" + r.source, item: r })));
}

export function renderPlatform(data) {
  const entries = Object.entries(data).sort((a, b) => b[1].total_revenue - a[1].total_revenue);
  chart("chart-platform", {
    type: "bar",
    data: {
      labels: entries.map((e) => e[0]),
      datasets: [{ label: "Revenue", data: entries.map((e) => e[1].total_revenue), backgroundColor: COLORS[0] }],
    },
    options: { indexAxis: "y", scales: { x: moneyAxis }, plugins: { legend: { display: false },
      tooltip: { callbacks: { label: (c) => USD.format(c.parsed.x) } } } },
  });
  table("table-platform", [
    { label: "Store", value: (e) => e[0] },
    { label: "Revenue", value: (e) => fmt.usd(e[1].total_revenue), num: true },
    { label: "Streams", value: (e) => fmt.count(e[1].total_streams), num: true },
    { label: "Per stream", value: (e) => fmt.rate(e[1].revenue_per_stream), num: true },
    { label: "Lines", value: (e) => fmt.count(e[1].transaction_count), num: true },
  ], entries.map((e) => ({ key: e[0], item: e })));
}

export function renderArtist(data) {
  const entries = Object.entries(data).sort((a, b) => b[1].total_revenue - a[1].total_revenue);
  chart("chart-artist", {
    type: "doughnut",
    data: {
      labels: entries.map((e) => e[0]),
      datasets: [{ data: entries.map((e) => e[1].total_revenue), backgroundColor: COLORS }],
    },
    options: { plugins: { legend: { position: "right" },
      tooltip: { callbacks: { label: (c) => c.label + ": " + USD.format(c.parsed) } } } },
  });
  table("table-artist", [
    { label: "Artist", value: (e) => e[0] },
    { label: "Revenue", value: (e) => fmt.usd(e[1].total_revenue), num: true },
    { label: "Streams", value: (e) => fmt.count(e[1].total_streams), num: true },
    { label: "Platforms", value: (e) => fmt.count(e[1].platform_count), num: true },
  ], entries.map((e) => ({ key: e[0], item: e })));
}

export function renderSocial(data) {
  const tiktok = data.tiktok || [], linktree = data.linktree || [];
  const tiktokPeriods = [...new Set(tiktok.map((r) => r.period))];
  const views = new Map();
  for (const r of tiktok) views.set(r.period, (views.get(r.period) || []).concat([r]));
  chart("chart-tiktok", {
    type: "bar",
    data: {
      labels: tiktokPeriods,
      datasets: [...new Set(tiktok.map((r) => r.account))].map((account, i) => ({
        label: account + " video views",
        data: tiktokPeriods.map((p) => ((views.get(p) || []).find((r) => r.account === account) || {}).video_views ?? null),
        backgroundColor: COLORS[(i + 5) % COLORS.length],
      })),
    },
    options: { scales: { y: countAxis, x: { ticks: { maxTicksLimit: 8 } } }, plugins: { tooltip: countTooltip } },
  });
  table("table-tiktok", [
    { label: "Week of", value: (r) => r.period },
    { label: "Account", value: (r) => r.account },
    { label: "Views", value: (r) => fmt.count(r.video_views), num: true },
    { label: "Likes", value: (r) => fmt.count(r.likes), num: true },
    { label: "Engagement", value: (r) => fmt.ratio(r.engagement_rate), num: true },
  ], tiktok.slice().reverse().map((r) => ({ key: r.period + "|" + r.account, item: r })));
  chart("chart-linktree", {
    type: "line",
    data: {
      labels: linktree.map((r) => r.period),
      datasets: [
        { label: "Views", data: linktree.map((r) => r.total_views), borderColor: COLORS[1], backgroundColor: COLORS[1] },
        { label: "Clicks", data: linktree.map((r) => r.total_clicks), borderColor: COLORS[3], backgroundColor: COLORS[3] },
      ],
    },
    options: { scales: { y: countAxis, x: { ticks: { maxTicksLimit: 8 } } }, plugins: { tooltip: countTooltip } },
  });
  table("table-linktree", [
    { label: "Week of", value: (r) => r.period },
    { label: "Views", value: (r) => fmt.count(r.total_views), num: true },
    { label: "Clicks", value: (r) => fmt.count(r.total_clicks), num: true },
    { label: "Click-through", value: (r) => fmt.ratio(r.click_through_ratio), num: true },
  ], linktree.slice().reverse().map((r) => ({ key: r.period, item: r })));
}

export function renderCampaigns(rows) {
  chart("chart-campaigns", {
    type: "bar",
    data: {
      labels: rows.map((r) => r.campaign_name),
      datasets: [{ label: "Spend", data: rows.map((r) => r.spend_usd), backgroundColor: COLORS[5] }],
    },
    options: { scales: { y: moneyAxis, x: { ticks: { display: false } } },
      plugins: { legend: { display: false }, tooltip: moneyTooltip } },
  });
  const windowText = (r) => (r.first_date === r.last_date ? r.first_date : r.first_date + " … " + r.last_date);
  table("table-campaigns", [
    { label: "Campaign", value: (r) => r.campaign_name },
    { label: "Status", value: (r) => r.status.toLowerCase() },
    { label: "Window", value: windowText },
    { label: "Spend", value: (r) => fmt.usd(r.spend_usd), num: true },
    { label: "CPC", value: (r) => fmt.usd(r.cpc_usd), num: true },
    { label: "CTR", value: (r) => fmt.pct(r.ctr_pct), num: true },
    { label: "Streams in window", value: (r) => fmt.count(r.streams_during), num: true },
    { label: "Same length before", value: (r) => fmt.count(r.streams_before), num: true },
    { label: "Change", value: (r) => fmt.signedPct(r.streams_change_pct), num: true,
      className: (r) => (r.streams_change_pct === null ? "na" : r.streams_change_pct < 0 ? "neg" : "pos") },
  ], rows.map((r) => ({ key: r.campaign_id, item: r })));
}

const SOURCE_LABELS = {
  dk_bank_details: "DistroKid bank details", distrokid_streams: "DistroKid daily streams",
  toolost_streams: "TooLost daily streams", spotify_audience: "Spotify audience", spotify_songs: "Spotify songs",
  tiktok: "TikTok", linktree: "Linktree", metaads: "Meta Ads", royalty_splits: "Royalty splits",
  capital_one: "Capital One",
};

function countsCell(source, field, path) {
  // Staff get links into the admin (one per curated kind with a count); everyone sees the numbers.
  const total = source[field];
  if (!isStaff || !adminUrl || total === 0) return fmt.count(total);
  const span = document.createElement("span");
  span.appendChild(document.createTextNode(fmt.count(total) + " "));
  for (const [kind, counts] of Object.entries(source.kinds)) {
    if (!counts[field]) continue;
    const query = field === "files_rejected" ? "?status__exact=rejected&kind=" : "?kind=";
    span.appendChild(link(adminUrl + path + query + encodeURIComponent(kind), kind));
    span.appendChild(document.createTextNode(" "));
  }
  return span;
}

export function renderFreshness(data) {
  const stale = (s) => {
    const badge = document.createElement("span");
    badge.className = "badge " + (s.latest_data_date === null ? "badge-none" : s.stale ? "badge-stale" : "badge-fresh");
    badge.textContent = s.latest_data_date === null ? "no data" : s.stale ? "stale" : "fresh";
    return badge;
  };
  table("table-freshness", [
    { label: "Source", value: (e) => SOURCE_LABELS[e[0]] || e[0] },
    { label: "Newest data", value: (e) => fmt.text(e[1].latest_data_date) },
    { label: "State", value: (e) => stale(e[1]) },
    { label: "Last load", value: (e) => fmt.time(e[1].last_loaded_at) },
    { label: "Last file", value: (e) => fmt.text(e[1].last_file) },
    { label: "Rejected files", value: (e) => countsCell(e[1], "files_rejected", "warehouse/sourcefile/"), num: true },
    { label: "Quarantined rows", value: (e) => countsCell(e[1], "rows_quarantined", "warehouse/quarantinedrow/"), num: true },
  ], Object.entries(data).map((e) => ({ key: e[0], item: e })));
}
