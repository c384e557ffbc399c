/* The warehouse's own page (docs/DASHBOARD.md).
 *
 * Every figure shown is a value an API endpoint serves; this script only formats, places and charts them.
 * One /ws connection (session cookie) applies `update` frames (the GET /api/kpis object) without a reload,
 * reconnects with backoff and refetches everything after a gap. No eval, no inline code (strict CSP).
 */
(function () {
  "use strict";

  // --- formatting: what users read ("$1,587.06", "616,709", "-95.44%") ---------------------------------------
  const USD = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  const RATE = new Intl.NumberFormat("en-US", {
    style: "currency", currency: "USD", minimumFractionDigits: 6, maximumFractionDigits: 6,
  });
  const COUNT = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  const PCT = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const RATIO = new Intl.NumberFormat("en-US", { style: "percent", minimumFractionDigits: 2 });
  const DASH = "—";
  const fmt = {
    usd: (v) => (v === null || v === undefined ? DASH : USD.format(v)),
    rate: (v) => (v === null || v === undefined ? DASH : RATE.format(v)),
    count: (v) => (v === null || v === undefined ? DASH : COUNT.format(v)),
    pct: (v) => (v === null || v === undefined ? DASH : PCT.format(v) + "%"),
    signedPct: (v) => (v === null || v === undefined ? DASH : (v > 0 ? "+" : "") + PCT.format(v) + "%"),
    ratio: (v) => (v === null || v === undefined ? DASH : RATIO.format(v)),
    text: (v) => (v === null || v === undefined || v === "" ? DASH : String(v)),
    time: (v) => (v ? v.replace("T", " ").replace("Z", " UTC") : DASH),
  };

  const body = document.body;
  const isStaff = body.dataset.staff === "true";
  const adminUrl = body.dataset.adminUrl || "";

  // --- API -------------------------------------------------------------------------------------------------
  async function api(path, options) {
    const response = await fetch(path, Object.assign({
      credentials: "same-origin", headers: { Accept: "application/json" },
    }, options || {}));
    if (response.status === 401 || response.status === 403) {
      window.location.assign("/login/?next=" + encodeURIComponent(window.location.pathname));
      throw new Error("not logged in");
    }
    const payload = await response.json();
    return { status: response.status, payload: payload };
  }

  async function getData(path) {
    const result = await api(path);
    if (!result.payload.success) {
      throw new Error(path + ": " + (result.payload.error || result.status));
    }
    return result.payload;
  }

  // --- KPI cards: each [data-kpi] gets its text; a changed text is marked ------------------------------------
  let firstRender = true;
  let changedCount = 0;

  function setText(key, text) {
    for (const element of document.querySelectorAll('[data-kpi="' + key + '"]')) {
      if (element.textContent === text) continue;
      const wasPlaceholder = element.textContent === "…";
      element.textContent = text;
      if (!firstRender && !wasPlaceholder) markChanged(element);
    }
  }

  function markChanged(element) {
    changedCount += 1;
    const target = element.closest(".card, tr, .note") || element;
    target.classList.remove("changed");
    void target.offsetWidth; // restart the highlight animation
    target.classList.add("changed");
    element.classList.add("changed-value");
    element.dataset.changed = "true";
  }

  function clearMarks() {
    // Only the newest load's changes stay marked.
    changedCount = 0;
    for (const element of document.querySelectorAll("[data-changed]")) delete element.dataset.changed;
    for (const element of document.querySelectorAll(".changed-value")) element.classList.remove("changed-value");
  }

  function goal(prefix, g, format) {
    setText(prefix + "_current", format(g.current));
    setText(prefix + "_target", format(g.target));
    setText(prefix + "_progress", fmt.pct(g.progress));
    setText(prefix + "_status", g.status.replace("_", " "));
  }

  let monthly = null; // GET /api/revenue/monthly data (the previous sale month's revenue lives there)
  let kpis = null;

  function renderKpis(data, lastUpdated) {
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

  // --- tables: every chart is also readable as text ----------------------------------------------------------
  function table(id, columns, rows) {
    const element = document.getElementById(id);
    const previous = new Map();
    for (const tr of element.querySelectorAll("tbody tr")) previous.set(tr.dataset.key, tr.textContent);
    const head = document.createElement("thead");
    const headRow = document.createElement("tr");
    for (const column of columns) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = column.label;
      if (column.num) th.className = "num";
      headRow.appendChild(th);
    }
    head.appendChild(headRow);
    const tbody = document.createElement("tbody");
    for (const row of rows) {
      const tr = document.createElement("tr");
      tr.dataset.key = String(row.key);
      for (const column of columns) {
        const td = document.createElement("td");
        const value = column.value(row.item);
        if (value instanceof Node) td.appendChild(value); else td.textContent = value;
        if (column.num) td.className = "num";
        if (column.className) td.classList.add(column.className(row.item));
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
      const before = previous.get(tr.dataset.key);
      if (!firstRender && before !== undefined && before !== tr.textContent) {
        tr.classList.add("changed");
        tr.dataset.changed = "true";
        changedCount += 1;
      }
    }
    element.replaceChildren(head, tbody);
    element.dataset.ready = "true";
  }

  function link(href, text) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  // --- charts (Chart.js from the chartkick wheel, /static/chartkick/Chart.bundle.js) ---------------------------
  const charts = {};
  const COLORS = ["#4f46e5", "#0ea5e9", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#64748b", "#ec4899"];

  function chart(id, config) {
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

  const moneyAxis = { ticks: { callback: (v) => USD.format(v) } };
  const countAxis = { ticks: { callback: (v) => COUNT.format(v) } };
  const moneyTooltip = { callbacks: { label: (c) => c.dataset.label + ": " + USD.format(c.parsed.y ?? c.parsed.x) } };
  const countTooltip = { callbacks: { label: (c) => c.dataset.label + ": " + COUNT.format(c.parsed.y) } };

  function renderMonthly(rows) {
    monthly = rows;
    renderPreviousMonth();
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

  function renderDaily(rows) {
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

  function renderPlatform(data) {
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

  function renderArtist(data) {
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

  function renderTopTracks(tracks) {
    table("table-tracks", [
      { label: "Track", value: (t) => fmt.text(t.title) },
      { label: "Artist", value: (t) => fmt.text(t.artist) },
      { label: "Streams", value: (t) => fmt.count(t.streams), num: true },
      { label: "Revenue", value: (t) => fmt.usd(t.revenue_usd), num: true },
    ], tracks.map((t) => ({ key: t.isrc, item: t })));
  }

  function renderSocial(data) {
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

  function renderCampaigns(rows) {
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

  function renderFreshness(data) {
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

  // --- loading ------------------------------------------------------------------------------------------------
  // Cards need the DOM (parsed before this deferred script runs); charts also need Chart.js, the next deferred
  // script, which has run by DOMContentLoaded.
  const ready = new Promise((resolve) => {
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

  function showError(error) {
    const element = document.getElementById("changes");
    element.textContent = "Could not load: " + error.message;
    element.className = "changes error";
    element.hidden = false;
  }

  async function loadKpis() {
    const payload = await getData("/api/kpis");
    await ready;
    renderKpis(payload.data, payload.metadata.last_updated);
    lastLoadRunId = payload.metadata.load_run_id;
    // The bench (bench/dashboard_bench.py) reads this mark: every card filled and painted.
    if (firstRender) requestAnimationFrame(() => performance.mark("dashboard-cards-ready"));
  }

  function loadSections() {
    return Promise.all(SECTIONS.map(([path, render]) =>
      getData(path).then(async (payload) => { await chartsReady; render(payload); }).catch(showError)));
  }

  async function loadAll() {
    clearMarks();
    // The cards first: one server thread answers these requests in turn, so /api/kpis goes before the charts'.
    await loadKpis().catch(showError);
    await loadSections();
    if (firstRender) {
      firstRender = false;
      requestAnimationFrame(() => performance.mark("dashboard-complete"));
      body.dataset.loaded = "true";
    }
  }

  // --- live: one /ws connection, backoff, refetch after a gap ------------------------------------------------
  const status = document.getElementById("live-status");
  let lastLoadRunId = null;
  let socket = null;
  let attempt = 0;
  let hadConnection = false;
  let refetching = null;

  function setStatus(state, text) {
    status.className = "live live-" + state;
    status.textContent = text;
    status.dataset.state = state;
  }

  function announceChanges(loadRunId) {
    const element = document.getElementById("changes");
    const now = new Date().toLocaleTimeString("en-US", { hour12: false });
    element.className = "changes";
    element.textContent = changedCount
      ? "Load run " + loadRunId + " committed at " + now + ": " + COUNT.format(changedCount) + " figures changed (highlighted)."
      : "Load run " + loadRunId + " committed at " + now + ": no figure on this page changed.";
    element.hidden = false;
  }

  function announceReconnect() {
    if (!changedCount) return;
    const element = document.getElementById("changes");
    element.className = "changes";
    element.textContent = "Reconnected: " + COUNT.format(changedCount) +
      " figures changed while the connection was down (highlighted).";
    element.hidden = false;
  }

  async function applyUpdate(frame) {
    if (refetching) await refetching; // the refetch already holds this snapshot (or an older one)
    const data = Object.assign({}, frame.data);
    const loadRunId = data.load_run_id;
    delete data.load_run_id;
    delete data.generated_at;
    const isNewRun = loadRunId !== null && loadRunId !== lastLoadRunId;
    if (isNewRun) clearMarks();
    if (kpis && isNewRun) {
      // The frame is the GET /api/kpis object; `last_updated` is the finish time of that run, read with the rest.
      renderKpis(Object.assign({}, kpis, data));
      await Promise.all([
        getData("/api/kpis").then((p) => setText("last_updated", fmt.time(p.metadata.last_updated))).catch(showError),
        loadSections(),
      ]);
      lastLoadRunId = loadRunId;
      announceChanges(loadRunId);
    } else if (kpis) {
      renderKpis(Object.assign({}, kpis, data));
    }
  }

  function connect() {
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
    setStatus(hadConnection ? "reconnecting" : "connecting", hadConnection ? "Reconnecting…" : "Connecting…");
    socket = new WebSocket(url);
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "subscribe" }));
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "status" && frame.data.state === "subscribed") {
        const gap = hadConnection;
        attempt = 0;
        hadConnection = true;
        setStatus("live", "Live");
        if (gap) { // whatever was loaded while we were away; updates wait for this refetch
          refetching = loadAll().then(announceReconnect).finally(() => { refetching = null; });
        }
      } else if (frame.type === "update") {
        applyUpdate(frame);
      }
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4401) { window.location.assign("/login/?next=/"); return; }
      if (event.code === 4403) { setStatus("offline", "Refused: " + (event.reason || "origin not allowed")); return; }
      const delay = Math.min(30, 2 ** attempt) * (0.8 + Math.random() * 0.4);
      attempt += 1;
      let left = Math.ceil(delay);
      setStatus("reconnecting", "Reconnecting in " + left + " s");
      const tick = setInterval(() => {
        left -= 1;
        if (left > 0) setStatus("reconnecting", "Reconnecting in " + left + " s");
      }, 1000);
      setTimeout(() => { clearInterval(tick); connect(); }, delay * 1000);
    });
  }

  // --- staff: queue a load and watch it -------------------------------------------------------------------------
  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

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
})();
