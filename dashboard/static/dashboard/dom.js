// Placing figures: each [data-kpi] element gets its text, tables are rebuilt from rows, and whatever changed since
// the previous render is marked (only the newest load's changes stay marked).

// `first`: nothing is marked on the first render; `changed`: figures marked since the last clearMarks().
export const marks = { first: true, changed: 0 };

export function setText(key, text) {
  for (const element of document.querySelectorAll('[data-kpi="' + key + '"]')) {
    if (element.textContent === text) continue;
    const wasPlaceholder = element.textContent === "…";
    element.textContent = text;
    if (!marks.first && !wasPlaceholder) markChanged(element);
  }
}

function markChanged(element) {
  marks.changed += 1;
  const target = element.closest(".card, tr, .note") || element;
  target.classList.remove("changed");
  void target.offsetWidth; // restart the highlight animation
  target.classList.add("changed");
  element.classList.add("changed-value");
  element.dataset.changed = "true";
}

export function clearMarks() {
  marks.changed = 0;
  for (const element of document.querySelectorAll("[data-changed]")) delete element.dataset.changed;
  for (const element of document.querySelectorAll(".changed-value")) element.classList.remove("changed-value");
}

// Tables: every chart is also readable as text.
export function table(id, columns, rows) {
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
    if (!marks.first && before !== undefined && before !== tr.textContent) {
      tr.classList.add("changed");
      tr.dataset.changed = "true";
      marks.changed += 1;
    }
  }
  element.replaceChildren(head, tbody);
  element.dataset.ready = "true";
}

export function link(href, text) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  return a;
}
