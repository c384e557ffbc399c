// Live: one /ws connection (session cookie) applies `update` frames (the GET /api/kpis object) without a reload,
// reconnects with backoff and refetches everything after a gap.
import { getData } from "./api.js";
import { currentKpis, renderKpis } from "./cards.js";
import { clearMarks, marks, setText } from "./dom.js";
import { COUNT, fmt } from "./format.js";
import { loadAll, loadSections, shown, showError } from "./load.js";

const status = document.getElementById("live-status");
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
  element.textContent = marks.changed
    ? "Load run " + loadRunId + " committed at " + now + ": " + COUNT.format(marks.changed) + " figures changed (highlighted)."
    : "Load run " + loadRunId + " committed at " + now + ": no figure on this page changed.";
  element.hidden = false;
}

function announceReconnect() {
  if (!marks.changed) return;
  const element = document.getElementById("changes");
  element.className = "changes";
  element.textContent = "Reconnected: " + COUNT.format(marks.changed) +
    " figures changed while the connection was down (highlighted).";
  element.hidden = false;
}

async function applyUpdate(frame) {
  if (refetching) await refetching; // the refetch already holds this snapshot (or an older one)
  const data = Object.assign({}, frame.data);
  const loadRunId = data.load_run_id;
  delete data.load_run_id;
  delete data.generated_at;
  const isNewRun = loadRunId !== null && loadRunId !== shown.loadRunId;
  if (isNewRun) clearMarks();
  const kpis = currentKpis();
  if (kpis && isNewRun) {
    // The frame is the GET /api/kpis object; `last_updated` is the finish time of that run, read with the rest.
    renderKpis(Object.assign({}, kpis, data));
    await Promise.all([
      getData("/api/kpis").then((p) => setText("last_updated", fmt.time(p.metadata.last_updated))).catch(showError),
      loadSections(),
    ]);
    shown.loadRunId = loadRunId;
    announceChanges(loadRunId);
  } else if (kpis) {
    renderKpis(Object.assign({}, kpis, data));
  }
}

export function connect() {
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
