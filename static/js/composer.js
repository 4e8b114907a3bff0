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
    await htmx.ajax("GET", texts.composeUrl, { source: form, target: "#composer", swap: "outerHTML" });
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
