// The composer's placement preview: the product's box on the canvas, moved by dragging or by the numbers.
(function () {
  "use strict";

  function setup(fieldset) {
    if (fieldset.dataset.ready) return;
    fieldset.dataset.ready = "1";
    const form = fieldset.closest("form");
    const canvas = fieldset.querySelector("[data-canvas]");
    const box = fieldset.querySelector("[data-box]");
    const field = (name) => fieldset.querySelector(`[data-place="${name}"]`);
    const canvasSize = () => ({
      width: parseFloat((form.querySelector("[name=param_width]") || {}).value) || 1024,
      height: parseFloat((form.querySelector("[name=param_height]") || {}).value) || 1024,
    });

    function draw() {
      const size = canvasSize();
      canvas.style.aspectRatio = `${size.width} / ${size.height}`;
      const value = (name) => parseFloat(field(name).value) || 0;
      box.style.left = `${(100 * value("x")) / size.width}%`;
      box.style.top = `${(100 * value("y")) / size.height}%`;
      box.style.width = `${(100 * value("width")) / size.width}%`;
      box.style.height = `${(100 * value("height")) / size.height}%`;
    }

    box.addEventListener("pointerdown", (start) => {
      start.preventDefault();
      box.setPointerCapture(start.pointerId);
      const size = canvasSize();
      const scale = size.width / canvas.clientWidth;
      const origin = { x: parseFloat(field("x").value) || 0, y: parseFloat(field("y").value) || 0 };
      const move = (event) => {
        const maxX = size.width - (parseFloat(field("width").value) || 0);
        const maxY = size.height - (parseFloat(field("height").value) || 0);
        field("x").value = Math.round(Math.min(maxX, Math.max(0, origin.x + (event.clientX - start.clientX) * scale)));
        field("y").value = Math.round(Math.min(maxY, Math.max(0, origin.y + (event.clientY - start.clientY) * scale)));
        draw();
      };
      const stop = () => {
        box.removeEventListener("pointermove", move);
        box.removeEventListener("pointerup", stop);
        field("x").dispatchEvent(new Event("change", { bubbles: true }));
      };
      box.addEventListener("pointermove", move);
      box.addEventListener("pointerup", stop);
    });
    fieldset.addEventListener("input", draw);
    form.addEventListener("input", (event) => { if (/param_(width|height)/.test(event.target.name)) draw(); });
    draw();
  }

  function scan() { document.querySelectorAll("[data-placement]").forEach(setup); }
  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:afterSettle", scan);
})();

// Uploading inputs from inside the composer: each file goes to the project's library (as this role, one
// request per file for a progress bar), then the composer is drawn again with the new images chosen.
(function () {
  "use strict";
  const CONCURRENT_UPLOADS = 3;

  async function uploadAll(input) {
    const composer = input.closest("#composer");
    const texts = composer.dataset;
    const form = input.closest("form");
    const role = input.dataset.role;
    const list = input.closest(".input-role").querySelector("[data-upload-list]");
    const files = Array.from(input.files);
    input.value = "";
    const taken = files.slice(0, parseInt(texts.maxFiles, 10));
    if (files.length > taken.length) StudioUploads.addRow(list, "", texts.textTooMany).classList.add("is-rejected");
    const queue = taken.map((file) => {
      const row = StudioUploads.addRow(list, file.name, texts.textUploading);
      if (file.size > parseInt(texts.maxBytes, 10)) { StudioUploads.finish(row, "rejected", texts.textTooBig); return null; }
      return { file, row };
    }).filter(Boolean);
    const ids = [];
    async function worker() {
      for (let item = queue.shift(); item; item = queue.shift()) {
        const result = await StudioUploads.send({ url: texts.uploadUrl, file: item.file, role, row: item.row, texts });
        StudioUploads.finish(item.row, result.status, result.message);
        if (result.asset_id) ids.push(String(result.asset_id));
      }
    }
    await Promise.all(Array.from({ length: CONCURRENT_UPLOADS }, worker));
    if (!ids.length) return;
    const boxes = Array.from(form.querySelectorAll(`[name="input_${role}"]`));
    if (input.dataset.single) boxes.forEach((box) => { box.checked = false; });
    for (const id of input.dataset.single ? ids.slice(0, 1) : ids) {
      const box = boxes.find((candidate) => candidate.value === id);
      if (box) { box.checked = true; continue; }
      const hidden = document.createElement("input");
      Object.assign(hidden, { type: "hidden", name: `input_${role}`, value: id });
      form.append(hidden);
    }
    await htmx.ajax("POST", texts.composeUrl, { source: form, target: "#composer", swap: "outerHTML" });
    form.querySelectorAll(`input[type=hidden][name="input_${role}"]`).forEach((hidden) => hidden.remove());
    const fresh = document.querySelector(`#composer .input-role[data-role="${role}"] [data-upload-list]`);
    if (fresh) fresh.replaceWith(list);  // keep every file's outcome in sight, rejections included
  }

  document.addEventListener("change", (event) => {
    if (!event.target.matches("[data-compose-upload]")) return;
    event.stopPropagation();  // not a form value: no price update for it
    uploadAll(event.target);
  }, true);
})();

// Choosing many images: search by file name or SKU, hide images already used, all / none / invert over the
// images shown, and shift-click for a range. One change event afterwards updates the price once.
(function () {
  "use strict";
  const lastClicked = new WeakMap();  // picker → the checkbox clicked last, where a shift-click range starts

  const role = (element) => element.closest(".input-role");
  const boxes = (section) => Array.from(section.querySelectorAll(".picker input[type=checkbox]"));
  const shown = (box) => box.closest(".pick").getClientRects().length > 0;

  function filter(section) {
    const words = (section.querySelector("[data-picker-search]") || {}).value || "";
    const terms = words.toLowerCase().split(/\s+/).filter(Boolean);
    const unused = Boolean((section.querySelector("[data-picker-unused]") || {}).checked);
    section.querySelectorAll(".picker .pick").forEach((pick) => {
      const name = pick.dataset.name || "";
      const hide = !terms.every((term) => name.includes(term)) || (unused && pick.hasAttribute("data-used"));
      pick.classList.toggle("is-filtered-out", hide);  // hidden but still chosen: the count says so
    });
    count(section);
  }

  function count(section) {
    const counter = section.querySelector("[data-picker-count]");
    if (!counter) return;
    const all = boxes(section);
    const chosen = all.filter((box) => box.checked).length;
    counter.textContent = counter.dataset.text
      .replace("%(chosen)s", chosen.toLocaleString())
      .replace("%(shown)s", all.filter(shown).length.toLocaleString());
  }

  function changed(section) {
    const first = boxes(section)[0];
    if (first) first.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-pick]");
    if (button) {
      const section = role(button);
      const how = button.dataset.pick;
      boxes(section).filter(shown).forEach((box) => {
        box.checked = how === "all" ? true : how === "none" ? false : !box.checked;
      });
      changed(section);
      count(section);
      return;
    }
    const box = event.target.closest(".picker input[type=checkbox]");
    if (!box) return;
    const section = role(box);
    const previous = lastClicked.get(section);
    if (event.shiftKey && previous && previous !== box && section.contains(previous)) {
      const list = boxes(section);
      const [from, to] = [list.indexOf(previous), list.indexOf(box)].sort((a, b) => a - b);
      list.slice(from, to + 1).filter(shown).forEach((each) => { each.checked = box.checked; });
    }
    lastClicked.set(section, box);
    count(section);
  });

  document.addEventListener("input", (event) => {
    if (event.target.matches("[data-picker-search]")) filter(role(event.target));
  });
  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches("[data-picker-search], [data-picker-unused]")) {
      event.stopPropagation();  // a view of the picker, not a form value: no price update for it
      filter(role(target));
    } else if (target.matches(".only-role")) {
      count(role(target));
    }
  }, true);

  function scan() { document.querySelectorAll(".input-role").forEach(filter); }
  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:afterSettle", scan);
})();
