// The customer form's week grid: allowed calling windows drawn by dragging over half-hour cells.
// The grid reads and writes the hidden input as JSON [[weekday 0-6, "HH:MM", "HH:MM"], ...]
// (an end of "24:00" is midnight); the server cleans and stores it.
(function () {
  "use strict";
  const grid = document.getElementById("week-grid");
  if (!grid) return;
  const input = document.getElementById(grid.dataset.input);
  const summary = document.getElementById("week-grid-summary");
  const names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  const SLOTS = 48;
  const cell = (day, slot) => grid.querySelector(`tr[data-day="${day}"] td[data-slot="${slot}"]`);
  const pad = (n) => String(n).padStart(2, "0");
  const clock = (slot) => `${pad(Math.floor(slot / 2))}:${slot % 2 ? "30" : "00"}`;
  const minutes = (text) => { const [h, m] = text.split(":").map(Number); return h * 60 + m; };

  function load() {
    let rows = [];
    try { rows = JSON.parse(input.value || "[]"); } catch (error) { rows = []; }
    for (const [day, start, end] of rows) {
      const first = minutes(start);
      let last = minutes(end);
      if (last <= first) last += 1440;  // past midnight into the next day
      for (const d of day === null ? [0, 1, 2, 3, 4, 5, 6] : [day]) {
        for (let m = first - (first % 30); m < last; m += 30) {
          const slot = (d * SLOTS + m / 30) % (7 * SLOTS);
          cell(Math.floor(slot / SLOTS), slot % SLOTS).classList.add("on");
        }
      }
    }
  }

  function save() {
    const rows = [];
    const parts = [];
    for (let day = 0; day < 7; day++) {
      let start = null;
      for (let slot = 0; slot <= SLOTS; slot++) {
        const on = slot < SLOTS && cell(day, slot).classList.contains("on");
        if (on && start === null) start = slot;
        if (!on && start !== null) {
          const end = slot === SLOTS ? "24:00" : clock(slot);
          rows.push([day, clock(start), end]);
          parts.push(`${names[day]} ${clock(start)}–${end}`);
          start = null;
        }
      }
    }
    input.value = JSON.stringify(rows);
    summary.textContent = parts.length ? parts.join(", ") : "No windows: calls at any time.";
  }

  // Dragging shades (or, starting on a shaded cell, clears) the rectangle between the cell where the
  // drag began and the one under the pointer: days by hours, like a selection in a spreadsheet.
  let drag = null;  // {day, slot, paint, before: the cells' states when the drag began}
  const position = (td) => ({day: Number(td.parentElement.dataset.day), slot: Number(td.dataset.slot)});
  function paintTo(td) {
    const here = position(td);
    drag.before.forEach((on, td2) => td2.classList.toggle("on", on));
    const [d0, d1] = [Math.min(drag.day, here.day), Math.max(drag.day, here.day)];
    const [s0, s1] = [Math.min(drag.slot, here.slot), Math.max(drag.slot, here.slot)];
    for (let day = d0; day <= d1; day++) {
      for (let slot = s0; slot <= s1; slot++) cell(day, slot).classList.toggle("on", drag.paint);
    }
  }
  grid.addEventListener("mousedown", (event) => {
    const target = event.target.closest("td[data-slot]");
    if (!target) return;
    event.preventDefault();
    const before = new Map();
    grid.querySelectorAll("td[data-slot]").forEach((td) => before.set(td, td.classList.contains("on")));
    drag = {...position(target), paint: !target.classList.contains("on"), before};
    paintTo(target);
  });
  grid.addEventListener("mouseover", (event) => {
    const target = event.target.closest("td[data-slot]");
    if (target && drag) paintTo(target);
  });
  document.addEventListener("mouseup", () => {
    if (!drag) return;
    drag = null;
    save();
  });
  document.getElementById("week-grid-clear").addEventListener("click", () => {
    grid.querySelectorAll("td.on").forEach((td) => td.classList.remove("on"));
    save();
  });
  const zone = document.getElementById(grid.dataset.zoneSelect);
  if (zone) zone.addEventListener("change", () => {
    document.getElementById("week-grid-zone").textContent = zone.value;
  });
  load();
  const shaded = grid.querySelectorAll("td.on").length;
  summary.textContent = shaded ? "" : "No windows: calls at any time.";
})();
