/* Summary tables: select cells of one column to see their sum and the average of the shown values;
   copy or export the selection (or the whole table) as TSV/CSV. Works for every .cx-summary-table. */
(function () {
  "use strict";
  if (window.cxSummaryTable) return;
  window.cxSummaryTable = true;

  let anchor = null;

  function section(el) { return el.closest(".cx-summary") || document; }
  function table(root) { return root.querySelector(".cx-summary-table"); }
  function selected(root) { return Array.from(root.querySelectorAll(".cx-summary-table td.cx-selected")); }
  function bodyCells(tbl, col) { return Array.from(tbl.querySelectorAll(`tbody td[data-col="${col}"][data-value]`)); }

  function format(value, decimals) {
    return value.toLocaleString("en-US", {minimumFractionDigits: decimals, maximumFractionDigits: decimals});
  }
  function decimalsOf(cells) {
    return Math.max(0, ...cells.map(td => (td.dataset.value.split(".")[1] || "").length));
  }

  function updateStatus(root) {
    const status = root.querySelector(".cx-selection-status");
    if (!status) return;
    const cells = selected(root);
    if (!cells.length) {
      status.textContent = "Click cells of a column to sum them (Ctrl/Shift to add).";
      return;
    }
    const values = cells.map(td => parseFloat(td.dataset.value));
    const sum = values.reduce((a, b) => a + b, 0);
    const decimals = decimalsOf(cells);
    const header = table(root).querySelector(`thead th[data-col="${cells[0].dataset.col}"]`);
    const additive = header && header.hasAttribute("data-additive");
    status.innerHTML = "";
    const parts = [
      ["cells", `${cells.length} cell${cells.length === 1 ? "" : "s"}`],
      ["sum", additive ? `Sum ${format(sum, decimals)}` : "Sum n/a"],
      ["average", `Average of shown values ${format(sum / values.length, Math.max(decimals, 2))}`],
    ];
    parts.forEach(([key, text], index) => {
      const span = document.createElement("span");
      span.dataset.stat = key;
      span.textContent = text;
      status.appendChild(span);
      if (index < parts.length - 1) status.appendChild(document.createTextNode(" · "));
    });
  }

  function clear(root) { selected(root).forEach(td => td.classList.remove("cx-selected")); }

  document.addEventListener("click", function (event) {
    const th = event.target.closest(".cx-summary-table thead th[data-col]");
    const td = event.target.closest(".cx-summary-table tbody td[data-value]");
    if (!th && !td) return;
    const root = section(event.target);
    const tbl = table(root);
    if (th) {
      if (th.dataset.col === "period") return;
      clear(root);
      bodyCells(tbl, th.dataset.col).forEach(cell => cell.classList.add("cx-selected"));
      anchor = null;
      updateStatus(root);
      return;
    }
    const col = td.dataset.col;
    const current = selected(root);
    const sameColumn = current.every(cell => cell.dataset.col === col);
    if (event.shiftKey && anchor && anchor.dataset.col === col && tbl.contains(anchor)) {
      const cells = bodyCells(tbl, col);
      const [a, b] = [cells.indexOf(anchor), cells.indexOf(td)].sort((x, y) => x - y);
      if (!(event.ctrlKey || event.metaKey)) clear(root);
      cells.slice(a, b + 1).forEach(cell => cell.classList.add("cx-selected"));
      window.getSelection().removeAllRanges();
    } else if ((event.ctrlKey || event.metaKey) && sameColumn) {
      td.classList.toggle("cx-selected");
      anchor = td;
    } else {
      const only = current.length === 1 && current[0] === td;
      clear(root);
      if (!only) td.classList.add("cx-selected");
      anchor = td;
    }
    updateStatus(root);
  });

  function matrix(root, withHeaders) {
    const tbl = table(root);
    const headers = Array.from(tbl.querySelectorAll("thead th[data-col]"));
    const cells = selected(root);
    const rows = [];
    if (cells.length) {
      const col = cells[0].dataset.col;
      const header = headers.find(h => h.dataset.col === col);
      if (withHeaders) rows.push([headers[0].textContent.trim(), header.textContent.trim()]);
      cells.forEach(cell => rows.push([cell.closest("tr").querySelector('td[data-col="period"]').textContent.trim(),
                                       cell.dataset.value]));
      return rows;
    }
    if (withHeaders) rows.push(headers.map(h => h.textContent.trim()));
    tbl.querySelectorAll("tbody tr, tfoot tr").forEach(tr => {
      const row = headers.map(h => {
        const cell = tr.querySelector(`td[data-col="${h.dataset.col}"]`);
        return cell ? (cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim()) : "";
      });
      if (tr.querySelector("td[data-col]")) rows.push(row);
    });
    return rows;
  }

  function csvCell(value) {
    return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
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

  function flash(button, text) {
    const original = button.innerHTML;
    button.textContent = text;
    setTimeout(() => { button.innerHTML = original; }, 1200);
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-summary-action]");
    if (!button) return;
    const root = section(button);
    const action = button.dataset.summaryAction;
    const rows = matrix(root, action !== "copy");
    if (action === "csv") {
      const text = rows.map(row => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
      const form = root.querySelector("#summary-selection");
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([text], {type: "text/csv"}));
      link.download = `${form ? form.dataset.filename : "summary"}${selected(root).length ? "-selection" : ""}.csv`;
      document.body.appendChild(link);
      link.click();
      setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 0);
      return;
    }
    copyText(rows.map(row => row.join("\t")).join("\n")).then(() => flash(button, "Copied"));
  });

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
