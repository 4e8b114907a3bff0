// The asset library: upload many files with a progress bar each, and select images for bulk actions.
(function () {
  "use strict";
  const CONCURRENT_UPLOADS = 3;

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, (_, key) => values[key]);
  }

  function setupUploader(section) {
    const text = section.dataset;
    const maxFiles = parseInt(text.maxFiles, 10);
    const maxBytes = parseInt(text.maxBytes, 10);
    const input = section.querySelector("#file-input");
    const roleSelect = section.querySelector("#upload-role");
    const status = section.querySelector(".upload-status");
    const list = section.querySelector(".upload-list");
    const summary = section.querySelector(".upload-summary");
    const counts = { kept: 0, duplicate: 0, rejected: 0 };
    let queue = [];
    let active = 0;

    function showSummary(extra) {
      summary.textContent = format(text.textSummary, counts) + (extra ? " · " + extra : "");
    }

    function addRow(file) {
      return StudioUploads.addRow(list, file.name, text.textWaiting, { prepend: true });
    }

    function finish(row, status, message) {
      counts[status] += 1;
      StudioUploads.finish(row, status, message);
      showSummary();
    }

    function refreshLibrary() {
      if (window.htmx) {
        htmx.ajax("GET", text.libraryUrl, { target: "#asset-library", swap: "outerHTML" });
      }
    }

    function next() {
      while (active < CONCURRENT_UPLOADS && queue.length) {
        const item = queue.shift();
        active += 1;
        upload(item).finally(() => {
          active -= 1;
          if (!queue.length && !active) refreshLibrary();
          next();
        });
      }
    }

    function upload({ file, row, role }) {
      return StudioUploads.send({ url: text.uploadUrl, file, role, row, texts: text })
        .then((result) => finish(row, result.status, result.message));
    }

    function addFiles(files) {
      if (!files.length) return;
      status.hidden = false;
      const chosen = Array.from(files);
      const taken = chosen.slice(0, maxFiles);
      for (const file of taken) {
        const row = addRow(file);
        if (file.size > maxBytes) finish(row, "rejected", text.textTooBig);
        else queue.push({ file, row, role: roleSelect.value });
      }
      showSummary(chosen.length > maxFiles ? text.textTooMany : "");
      next();
    }

    input.addEventListener("change", () => { addFiles(input.files); input.value = ""; });
    document.addEventListener("dragover", (event) => {
      if (!event.dataTransfer || !Array.from(event.dataTransfer.types).includes("Files")) return;
      event.preventDefault();
      document.body.classList.add("is-dragging");
    });
    document.addEventListener("dragleave", (event) => {
      if (event.relatedTarget === null) document.body.classList.remove("is-dragging");
    });
    document.addEventListener("drop", (event) => {
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      event.preventDefault();
      document.body.classList.remove("is-dragging");
      addFiles(event.dataTransfer.files);
    });
  }

  function updateSelection(root) {
    const form = root.querySelector("#bulk-form");
    if (!form) return;
    const boxes = form.querySelectorAll("input[name=asset]");
    const all = form.querySelector("[data-select-all]");  // every image the filters match, loaded or not
    if (all && all.checked) boxes.forEach((box) => { box.checked = true; });  // cards loaded since, too
    const chosen = all && all.checked ? parseInt(all.dataset.total, 10) : form.querySelectorAll("input[name=asset]:checked").length;
    const counter = form.querySelector("[data-selected-count]");
    if (counter) counter.textContent = chosen ? format(counter.dataset.text, { n: chosen }) : "";
    form.querySelectorAll("[data-needs-selection]").forEach((button) => { button.disabled = chosen === 0; });
  }

  document.addEventListener("change", (event) => {
    const form = event.target.closest("#bulk-form");
    if (!form) return;
    const all = form.querySelector("[data-select-all]");
    if (event.target === all) {
      form.querySelectorAll("input[name=asset]").forEach((box) => { box.checked = all.checked; });
    } else if (all && event.target.matches("input[name=asset]") && !event.target.checked) {
      all.checked = false;  // one left out: not all of them any more
    }
    updateSelection(document);
  });

  // None and invert over the images loaded so far; a shift-click ticks or clears the range from the last click.
  let lastClicked = null;
  document.addEventListener("click", (event) => {
    const form = event.target.closest("#bulk-form");
    if (!form) return;
    const boxes = Array.from(form.querySelectorAll("input[name=asset]"));
    const button = event.target.closest("[data-select]");
    if (button) {
      const all = form.querySelector("[data-select-all]");
      if (all) all.checked = false;
      boxes.forEach((box) => { box.checked = button.dataset.select === "invert" ? !box.checked : false; });
      updateSelection(document);
      return;
    }
    const box = event.target.closest("input[name=asset]");
    if (!box) return;
    if (event.shiftKey && lastClicked && lastClicked !== box && form.contains(lastClicked)) {
      const [from, to] = [boxes.indexOf(lastClicked), boxes.indexOf(box)].sort((a, b) => a - b);
      boxes.slice(from, to + 1).forEach((each) => { each.checked = box.checked; });
      updateSelection(document);
    }
    lastClicked = box;
  });

  document.addEventListener("DOMContentLoaded", () => {
    const section = document.getElementById("uploader");
    if (section) setupUploader(section);
    updateSelection(document);
  });
  document.addEventListener("htmx:afterSettle", () => updateSelection(document));
})();
