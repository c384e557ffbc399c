// Formatting: what users read ("$1,587.06", "616,709", "-95.44%").
export const USD = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const RATE = new Intl.NumberFormat("en-US", {
  style: "currency", currency: "USD", minimumFractionDigits: 6, maximumFractionDigits: 6,
});
export const COUNT = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const PCT = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const RATIO = new Intl.NumberFormat("en-US", { style: "percent", minimumFractionDigits: 2 });
export const DASH = "—";
export const fmt = {
  usd: (v) => (v === null || v === undefined ? DASH : USD.format(v)),
  rate: (v) => (v === null || v === undefined ? DASH : RATE.format(v)),
  count: (v) => (v === null || v === undefined ? DASH : COUNT.format(v)),
  pct: (v) => (v === null || v === undefined ? DASH : PCT.format(v) + "%"),
  signedPct: (v) => (v === null || v === undefined ? DASH : (v > 0 ? "+" : "") + PCT.format(v) + "%"),
  ratio: (v) => (v === null || v === undefined ? DASH : RATIO.format(v)),
  text: (v) => (v === null || v === undefined || v === "" ? DASH : String(v)),
  time: (v) => (v ? v.replace("T", " ").replace("Z", " UTC") : DASH),
};
