// Galleries: the lightbox viewer, keyboard review and bulk selection. Every key is shown on the page:
// in the viewer A approve, R reject, U reset, ←/→ previous/next, Z zoom, Esc close; on the grid ←/→ move
// between cards, Enter opens one, X selects it, A/R/U review it. Without JavaScript every link and form
// still works as a plain page.
(function () {
  "use strict";
  const dialog = document.getElementById("viewer");
  const body = document.getElementById("viewer-body");
  let refocus = null; // the card to focus once htmx has swapped its answer in
  let waiting = false; // the viewer is loading: a key pressed now would act on the image being left

  function typing(target) {
    return target.closest("textarea, select, [contenteditable]") ||
      (target.matches("input") && !["checkbox", "radio", "range"].includes(target.type));
  }

  function cards() {
    return Array.from(document.querySelectorAll(".review-card"));
  }

  function focusCard(id) {
    const link = document.querySelector(`#output-${id} .card-open`);
    if (link) link.focus();
  }

  // The viewer ------------------------------------------------------------------------------------

  // Controls that only work with JavaScript (compare modes, zoom) are hidden until it runs.
  function showScriptedControls() {
    document.querySelectorAll("[data-js-only]").forEach((element) => { element.hidden = false; });
  }

  document.addEventListener("htmx:afterSwap", (event) => {
    showScriptedControls();
    if (dialog && event.detail.target === body) {
      if (!dialog.open) dialog.showModal();
      dialog.focus();
    }
    selectNewCards();
    updateSelection();
  });

  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.target === body) waiting = true;
  });
  ["htmx:afterRequest", "htmx:afterSettle"].forEach((name) => {
    document.addEventListener(name, (event) => {
      if (event.detail.target === body) waiting = false;
    });
  });

  document.addEventListener("htmx:afterSettle", () => {
    if (refocus) {
      focusCard(refocus);
      refocus = null;
    }
  });

  if (dialog) {
    dialog.addEventListener("close", () => {
      const shown = body.querySelector("[data-output]");
      body.innerHTML = "";
      if (shown) focusCard(shown.dataset.output);
    });
    // A click on the backdrop (outside the viewer) closes it, as on most lightboxes.
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close();
    });
  }

  function setMode(stage, mode) {
    stage.dataset.mode = mode;
    stage.closest(".viewer").querySelectorAll("button[data-mode]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.mode === mode));
    });
  }

  function toggleZoom(viewer) {
    const stage = viewer.querySelector("[data-stage]");
    const zoomed = stage.classList.toggle("zoomed");
    viewer.querySelector("[data-zoom]").setAttribute("aria-pressed", String(zoomed));
  }

  document.addEventListener("click", (event) => {
    const close = event.target.closest("[data-close]");
    if (close && dialog && dialog.open) {
      event.preventDefault();
      dialog.close();
      return;
    }
    const viewer = event.target.closest(".viewer");
    if (!viewer) return;
    const mode = event.target.closest("button[data-mode]");
    if (mode) setMode(viewer.querySelector("[data-stage]"), mode.dataset.mode);
    if (event.target.closest("[data-zoom]") || event.target.matches(".pane-output img")) toggleZoom(viewer);
  });

  document.addEventListener("input", (event) => {
    if (event.target.matches("[data-split]")) {
      event.target.closest("[data-stage]").style.setProperty("--split", event.target.value + "%");
    }
  });

  // The filter form sends only the filters that are set, so the URL it pushes stays short enough to share.
  document.addEventListener("htmx:configRequest", (event) => {
    if (!event.detail.elt.matches(".gallery-filters")) return;
    const data = event.detail.formData;
    Array.from(data.keys()).forEach((name) => {
      if (data.getAll(name).every((value) => value === "")) data.delete(name);
    });
  });

  // Keys ------------------------------------------------------------------------------------------

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (dialog && dialog.open) {
      if (waiting) {
        event.preventDefault();
        return;
      }
      const target = body.querySelector(`[data-key="${key}"]`);
      if (target) {
        event.preventDefault();
        target.click();
      }
      return;
    }
    const all = cards();
    if (!all.length) return;
    const card = document.activeElement && document.activeElement.closest(".review-card");
    if (key === "ArrowRight" || key === "ArrowLeft") {
      event.preventDefault();
      const index = card ? all.indexOf(card) + (key === "ArrowRight" ? 1 : -1) : 0;
      const next = all[Math.max(0, Math.min(all.length - 1, index))];
      next.querySelector(".card-open").focus();
      return;
    }
    if (!card) return;
    if (key === "x") {
      event.preventDefault();
      const box = card.querySelector(".pick-output");
      box.checked = !box.checked;
      updateSelection();
      return;
    }
    const button = card.querySelector(`[data-key="${key}"]`);
    if (button) {
      event.preventDefault();
      const next = all[all.indexOf(card) + 1];
      refocus = next ? next.dataset.output : card.dataset.output; // reviewed: move on to the next card
      button.click();
    }
  });

  // Selection -------------------------------------------------------------------------------------

  function boxes() {
    return Array.from(document.querySelectorAll("input.pick-output"));
  }

  function matching() {
    return document.querySelector("[data-select-matching]");
  }

  function selectNewCards() {
    const all = matching();
    if (all && all.checked) boxes().forEach((box) => { box.checked = true; });
  }

  function updateSelection() {
    const form = document.getElementById("bulk-form");
    if (!form) return;
    const all = matching();
    const count = all && all.checked ? Number(all.dataset.total) : boxes().filter((box) => box.checked).length;
    const label = form.querySelector("[data-selected-count]");
    label.textContent = count ? label.dataset.text.replace("%(n)s", count) : "";
    form.querySelectorAll("[data-needs-selection]").forEach((button) => { button.disabled = count === 0; });
  }

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches("[data-select-shown]")) {
      boxes().forEach((box) => { box.checked = target.checked; });
      if (!target.checked && matching()) matching().checked = false;
    } else if (target.matches("[data-select-matching]")) {
      boxes().forEach((box) => { box.checked = target.checked; });
    } else if (target.matches(".pick-output")) {
      if (!target.checked && matching()) matching().checked = false; // one unticked: not "all of them" any more
    } else {
      return;
    }
    updateSelection();
  });

  // A refused action (a 403 with its reason, a 400) is said, not silently dropped.
  document.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    const page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    const said = page.querySelector(".card p") || page.body;
    const fallback = document.querySelector("[data-error-text]");
    const text = (said && said.textContent.trim()) || (fallback ? fallback.dataset.errorText : "");
    showRequestError(`${text.slice(0, 300)} (${xhr.status})`);
  });

  // Said above the page, where the messages are, until the next refusal replaces it.
  function showRequestError(text) {
    let box = document.getElementById("request-error");
    if (!box) {
      box = document.createElement("p");
      box.id = "request-error";
      box.className = "message error";
      box.setAttribute("role", "alert");
      document.querySelector("main").prepend(box);
    }
    box.textContent = text;
  }

  showScriptedControls();
  updateSelection();
})();
