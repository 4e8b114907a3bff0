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
