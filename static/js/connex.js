/* Small behaviours shared by every panel page. */
(function () {
  "use strict";

  function csrfToken() {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // Column chooser: tick, reorder, save for this staff member, reload.
  document.addEventListener("click", function (event) {
    const chooser = event.target.closest(".cx-column-chooser");
    if (!chooser) return;
    const item = event.target.closest("li[data-column]");
    if (event.target.closest(".cx-col-up") && item && item.previousElementSibling) {
      item.parentNode.insertBefore(item, item.previousElementSibling);
    } else if (event.target.closest(".cx-col-down") && item && item.nextElementSibling) {
      item.parentNode.insertBefore(item.nextElementSibling, item);
    } else if (event.target.closest(".cx-col-save") || event.target.closest(".cx-col-reset")) {
      const reset = !!event.target.closest(".cx-col-reset");
      const columns = reset ? [] : Array.from(chooser.querySelectorAll("li[data-column]"))
        .filter(li => li.querySelector("input").checked).map(li => li.dataset.column);
      fetch(chooser.dataset.saveUrl, {
        method: "POST",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
        body: JSON.stringify(columns),
      }).then(() => window.location.reload());
    }
  });

  // Row selection: "select all" box, and the count shown on bulk-action buttons.
  // Checkboxes may sit outside the form (form="…" attribute), so read form.elements.
  function selectionBoxes(form) {
    return Array.from(form.elements).filter(el => el.name === "pk" && el.type === "checkbox");
  }
  // With "All N matching" ticked the action applies to N customers: every row on the page shows
  // as selected (its box ticked and locked) and the buttons count N.
  function refreshSelection(form) {
    const boxes = selectionBoxes(form);
    const matchingBox = Array.from(form.elements).find(el => el.name === "select_all_matching");
    const matching = !!(matchingBox && matchingBox.checked);
    boxes.forEach(box => {
      if (matching && !box.disabled) { box.dataset.wasChecked = box.checked ? "1" : ""; box.checked = true; }
      if (!matching && box.disabled) { box.checked = box.dataset.wasChecked === "1"; }
      box.disabled = matching;
      const row = box.closest("tr");
      if (row) row.classList.toggle("cx-row-selected", box.checked);
    });
    const checked = boxes.filter(box => box.checked).length;
    const count = matching ? Number(matchingBox.dataset.matchingCount || checked) : checked;
    document.querySelectorAll(`[data-selection-count="${form.id}"]`).forEach(el => { el.textContent = count; });
    Array.from(form.elements).filter(el => el.hasAttribute("data-needs-selection")).forEach(el => {
      el.disabled = count === 0;
    });
    Array.from(form.elements).filter(el => el.classList && el.classList.contains("cx-select-all")).forEach(all => {
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.disabled = matching;
    });
  }
  document.addEventListener("change", function (event) {
    const form = event.target.form;
    if (!form || !form.classList.contains("cx-selection")) return;
    if (event.target.classList.contains("cx-select-all")) {
      selectionBoxes(form).forEach(box => { box.checked = event.target.checked; });
    }
    refreshSelection(form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.cx-selection").forEach(refreshSelection);
  });
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("form.cx-selection").forEach(refreshSelection);
  });

  // A form answered with 422 carries its errors beside the fields: show it (htmx drops 4xx by default).
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Tabbed forms: a field the browser finds invalid opens its tab and marks the tab header.
  document.addEventListener("invalid", function (event) {
    const pane = event.target.closest(".tab-pane");
    if (!pane) return;
    const trigger = document.querySelector(`[data-bs-target="#${pane.id}"]`);
    if (!trigger) return;
    trigger.classList.add("cx-tab-error");
    if (!pane.classList.contains("active")) {
      const first = document.querySelector(".tab-pane:has(:invalid)");
      if (first === pane) bootstrap.Tab.getOrCreateInstance(trigger).show();
    }
  }, true);

  // Long multi-selects (currencies, tags) become searchable: type to filter, click to add, × to remove.
  function enhanceMultiSelects(root) {
    if (!window.TomSelect) return;
    root.querySelectorAll("select[multiple].cx-multiselect, select[multiple][data-searchable]").forEach(select => {
      if (select.tomselect) return;
      new TomSelect(select, {
        plugins: ["remove_button", "checkbox_options"], hidePlaceholder: true, maxOptions: null,
        placeholder: select.dataset.placeholder || "Type to search…",
        render: {no_results: () => '<div class="no-results small text-muted px-2">No match</div>'},
      });
    });
  }
  document.addEventListener("DOMContentLoaded", () => enhanceMultiSelects(document));
  document.addEventListener("htmx:afterSettle", event => enhanceMultiSelects(event.detail.elt || document));

  // Actions on summary rows (Generate Invoice) wait until at least one period is ticked.
  function refreshPeriodActions() {
    const ticked = document.querySelectorAll("#summary-selection input[name=periods]:checked").length > 0;
    document.querySelectorAll("[data-needs-periods]").forEach(button => {
      button.disabled = !ticked;
      button.title = ticked ? "One invoice per selected period" : "Tick Daily, Weekly or Monthly rows first";
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "periods") refreshPeriodActions();
  });
  document.addEventListener("DOMContentLoaded", refreshPeriodActions);
  document.addEventListener("htmx:afterSettle", refreshPeriodActions);
})();

// Behaviours declared in markup (the Content-Security-Policy allows no inline handlers).
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-submit-on-change]")) event.target.form.submit();
});
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-remove-form]");
  if (button) button.closest("form").remove();
});
