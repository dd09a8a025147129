/* Summary tables: select a rectangle of cells (drag, or click then Shift-click; Ctrl adds single cells),
   see the sum and the average of the shown values, and copy or export the selection from the toolbar
   or the right-click menu: Copy, Copy with headers, Copy with group headers, Export (CSV).
   With nothing selected the actions take the whole table. Works for every .cx-summary-table. */
(function () {
  "use strict";
  if (window.cxSummaryTable) return;
  window.cxSummaryTable = true;

  let anchor = null;
  let dragging = false;
  const HINT = "Drag or Shift-click to select cells; right-click to copy or export.";

  function section(el) { return el.closest(".cx-summary") || document; }
  function table(root) { return root.querySelector(".cx-summary-table"); }
  function selected(root) { return Array.from(root.querySelectorAll(".cx-summary-table td.cx-selected")); }
  function headers(tbl) { return Array.from(tbl.querySelectorAll("thead th[data-col]")); }
  function columnIndex(tbl, col) { return headers(tbl).findIndex(h => h.dataset.col === col); }
  function bodyRows(tbl) { return Array.from(tbl.querySelectorAll("tbody tr")).filter(tr => tr.querySelector("td[data-col]")); }
  function cellAt(tr, col) { return tr.querySelector(`td[data-col="${col}"]`); }
  function valueOf(td) { return td.dataset.value !== undefined ? td.dataset.value : td.textContent.trim(); }

  function format(value, decimals) {
    return value.toLocaleString("en-US", {minimumFractionDigits: decimals, maximumFractionDigits: decimals});
  }

  function updateStatus(root) {
    const status = root.querySelector(".cx-selection-status");
    if (!status) return;
    const cells = selected(root).filter(td => td.dataset.value !== undefined);
    if (!selected(root).length) { status.textContent = HINT; return; }
    const tbl = table(root);
    const columns = [...new Set(cells.map(td => td.dataset.col))];
    const parts = [["cells", `${selected(root).length} cell${selected(root).length === 1 ? "" : "s"}`]];
    if (columns.length === 1) {
      const values = cells.map(td => parseFloat(td.dataset.value));
      const decimals = Math.max(0, ...cells.map(td => (td.dataset.value.split(".")[1] || "").length));
      const sum = values.reduce((a, b) => a + b, 0);
      const header = tbl.querySelector(`thead th[data-col="${columns[0]}"]`);
      parts.push(["sum", header && header.hasAttribute("data-additive") ? `Sum ${format(sum, decimals)}` : "Sum n/a"]);
      parts.push(["average", `Average of shown values ${format(sum / values.length, Math.max(decimals, 2))}`]);
    } else if (columns.length > 1) {
      parts.push(["columns", `${columns.length} columns`]);
    }
    status.innerHTML = "";
    parts.forEach(([key, text], index) => {
      const span = document.createElement("span");
      span.dataset.stat = key;
      span.textContent = text;
      status.appendChild(span);
      if (index < parts.length - 1) status.appendChild(document.createTextNode(" · "));
    });
  }

  function clear(root) { selected(root).forEach(td => td.classList.remove("cx-selected")); }

  function selectRectangle(root, from, to, keep) {
    const tbl = table(root);
    const rows = bodyRows(tbl);
    const [r1, r2] = [rows.indexOf(from.closest("tr")), rows.indexOf(to.closest("tr"))].sort((a, b) => a - b);
    const [c1, c2] = [columnIndex(tbl, from.dataset.col), columnIndex(tbl, to.dataset.col)].sort((a, b) => a - b);
    if (!keep) clear(root);
    const cols = headers(tbl).slice(c1, c2 + 1).map(h => h.dataset.col);
    rows.slice(r1, r2 + 1).forEach(tr => cols.forEach(col => {
      const td = cellAt(tr, col);
      if (td) td.classList.add("cx-selected");
    }));
    updateStatus(root);
  }

  function selectableCell(target) { return target.closest(".cx-summary-table tbody td[data-col]"); }

  document.addEventListener("mousedown", function (event) {
    if (event.button !== 0) return;
    const td = selectableCell(event.target);
    if (!td || event.target.closest("a, input, button")) return;
    const root = section(td);
    event.preventDefault();  // no text selection while dragging
    if (event.shiftKey && anchor && table(root).contains(anchor)) {
      selectRectangle(root, anchor, td, event.ctrlKey || event.metaKey);
      return;
    }
    if (event.ctrlKey || event.metaKey) {
      td.classList.toggle("cx-selected");
      anchor = td;
      updateStatus(root);
      return;
    }
    const only = selected(root).length === 1 && selected(root)[0] === td;
    clear(root);
    if (!only) td.classList.add("cx-selected");
    anchor = td;
    dragging = !only;
    updateStatus(root);
  });
  document.addEventListener("mouseover", function (event) {
    if (!dragging || !anchor) return;
    const td = selectableCell(event.target);
    if (td && table(section(td)).contains(anchor)) selectRectangle(section(td), anchor, td, false);
  });
  document.addEventListener("mouseup", function () { dragging = false; });

  // A header selects its whole column (Shift extends to a block of columns).
  document.addEventListener("click", function (event) {
    const th = event.target.closest(".cx-summary-table thead th[data-col]");
    if (!th || event.target.closest("input")) return;
    const root = section(th);
    const rows = bodyRows(table(root));
    if (!rows.length) return;
    const top = cellAt(rows[0], th.dataset.col);
    const bottom = cellAt(rows[rows.length - 1], th.dataset.col);
    if (event.shiftKey && anchor) selectRectangle(root, anchor, bottom, false);
    else { selectRectangle(root, top, bottom, false); anchor = top; }
  });

  /* The selection as a matrix: its rows × its columns (cells outside the selection left blank).
     mode: "values" | "headers" | "groups". Header modes start each row with its period. */
  function matrix(root, mode) {
    const tbl = table(root);
    const heads = headers(tbl);
    const cells = selected(root);
    let rows, cols;
    if (cells.length) {
      const rowSet = new Set(cells.map(td => td.closest("tr")));
      rows = bodyRows(tbl).filter(tr => rowSet.has(tr));
      const colSet = new Set(cells.map(td => td.dataset.col));
      cols = heads.filter(h => colSet.has(h.dataset.col));
    } else {
      rows = bodyRows(tbl).concat(Array.from(tbl.querySelectorAll("tfoot tr")));
      cols = heads;
    }
    const withPeriod = mode !== "values" && !cols.some(h => h.dataset.col === "period");
    const shown = withPeriod ? [heads.find(h => h.dataset.col === "period"), ...cols] : cols;
    const out = [];
    if (mode === "groups") out.push(shown.map(h => h.dataset.group || ""));
    if (mode !== "values") out.push(shown.map(h => h.textContent.trim()));
    rows.forEach(tr => out.push(shown.map(h => {
      const td = cellAt(tr, h.dataset.col);
      if (!td) return "";
      if (cells.length && h.dataset.col !== "period" && !td.classList.contains("cx-selected")) return "";
      return valueOf(td);
    })));
    return out;
  }

  function csvCell(value) { return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value; }

  function copyText(text) {
    window.cxLastCopied = text;  // what the last Copy put on the clipboard (read by browser tests)
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text).catch(() => {});
    const area = document.createElement("textarea");
    area.value = text;
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
    return Promise.resolve();
  }

  function exportCsv(root, rows) {
    const text = rows.map(row => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
    const form = root.querySelector("#summary-selection");
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], {type: "text/csv"}));
    link.download = `${form ? form.dataset.filename : "summary"}${selected(root).length ? "-selection" : ""}.csv`;
    document.body.appendChild(link);
    link.click();
    setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 0);
  }

  function run(root, action) {
    if (action === "csv") { exportCsv(root, matrix(root, "headers")); return Promise.resolve(); }
    const mode = {copy: "values", "copy-headers": "headers", "copy-groups": "groups"}[action];
    return copyText(matrix(root, mode).map(row => row.join("\t")).join("\n"));
  }

  function flash(button, text) {
    const original = button.innerHTML;
    button.textContent = text;
    setTimeout(() => { button.innerHTML = original; }, 1200);
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-summary-action]");
    if (!button) return;
    const root = section(button);
    run(root, button.dataset.summaryAction).then(() => {
      if (button.dataset.summaryAction !== "csv") flash(button, "Copied");
    });
  });

  // Right-click menu on the table.
  let menu = null;
  function closeMenu() { if (menu) { menu.remove(); menu = null; } }
  document.addEventListener("contextmenu", function (event) {
    const td = event.target.closest(".cx-summary-table tbody td[data-col], .cx-summary-table thead th[data-col]");
    if (!td) return;
    event.preventDefault();
    closeMenu();
    const root = section(td);
    if (td.tagName === "TD" && !td.classList.contains("cx-selected")) {
      clear(root);
      td.classList.add("cx-selected");
      anchor = td;
      updateStatus(root);
    }
    menu = document.createElement("div");
    menu.className = "dropdown-menu show shadow-sm cx-context-menu";
    menu.setAttribute("role", "menu");
    [["copy", "Copy", "clipboard"], ["copy-headers", "Copy with headers", "clipboard-plus"],
     ["copy-groups", "Copy with group headers", "clipboard-data"], ["csv", "Export (CSV)", "filetype-csv"]]
      .forEach(([action, label, icon]) => {
        const item = document.createElement("button");
        item.type = "button";
        item.className = "dropdown-item small";
        item.dataset.contextAction = action;
        item.setAttribute("role", "menuitem");
        item.innerHTML = `<i class="bi bi-${icon} me-2"></i>${label}`;
        item.addEventListener("click", () => { run(root, action); closeMenu(); });
        menu.appendChild(item);
      });
    menu.style.position = "fixed";
    menu.style.left = `${event.clientX}px`;
    menu.style.top = `${event.clientY}px`;
    document.body.appendChild(menu);
  });
  document.addEventListener("click", function (event) { if (menu && !menu.contains(event.target)) closeMenu(); });
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") closeMenu(); });
  window.addEventListener("scroll", closeMenu, true);

  document.addEventListener("change", function (event) {
    if (!event.target.matches(".cx-summary-table [data-check-all]")) return;
    const tbl = event.target.closest("table");
    tbl.querySelectorAll('tbody input[name="periods"]').forEach(box => { box.checked = event.target.checked; });
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id !== "summary-table") return;
    const root = section(event.detail.target);
    const form = root.querySelector("#summary-selection");
    root.querySelectorAll(".cx-period-tabs .nav-link").forEach(link => {
      link.classList.toggle("active", form && link.dataset.period === form.dataset.kind);
    });
    anchor = null;
    updateStatus(root);
  });
})();
