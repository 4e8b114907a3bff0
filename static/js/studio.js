// Behaviour every page asks for with data attributes. There are no inline handlers anywhere: the
// Content-Security-Policy lets only scripts from this site run.
//   data-autosubmit on a field: changing it submits its form (the filters, the team switch).
//   data-confirm on a form or a button: asks first, and does nothing unless confirmed.
//   data-counter-for="id" on an element: shows how many of the field's maxlength characters are used.
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.requestSubmit();
});

document.addEventListener(
  "click",
  (event) => {
    const button = event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);

document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (form.matches("form[data-confirm]") && !window.confirm(form.dataset.confirm)) event.preventDefault();
  },
  true,
);

document.addEventListener("input", (event) => {
  const field = event.target;
  const counter = field.id && document.querySelector(`[data-counter-for="${field.id}"]`);
  if (counter && field.maxLength > 0) counter.textContent = `${field.value.length} / ${field.maxLength}`;
});

// Knowing when work finishes. [data-tab-title] (a run's progress) names the browser tab, so a run can be watched
// from another tab; a notice of a run that ended (#run-notices, polled on every page) also becomes a browser
// notification when the person allowed them with a [data-notify-ask] button.
function showTabTitle() {
  const source = document.querySelector("[data-tab-title]");
  if (source) document.title = source.dataset.tabTitle;
}

function notifyNewNotices() {
  document.querySelectorAll("#run-notices .run-notice:not([data-told])").forEach((notice) => {
    notice.dataset.told = "1";
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const told = new Notification(notice.dataset.notifyTitle, { body: notice.dataset.notifyBody, tag: notice.dataset.notifyUrl });
    told.addEventListener("click", () => { window.focus(); window.location.href = notice.dataset.notifyUrl; });
  });
}

function offerNotifications() {
  const supported = "Notification" in window && Notification.permission === "default";
  document.querySelectorAll("[data-notify-ask]").forEach((button) => { button.hidden = !supported; });
}

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-notify-ask]")) {
    Notification.requestPermission().then(offerNotifications);
  }
  const dismiss = event.target.closest("[data-dismiss]");
  if (dismiss) dismiss.parentElement.remove();
});
document.addEventListener("DOMContentLoaded", () => { showTabTitle(); offerNotifications(); });
document.addEventListener("htmx:afterSettle", () => { showTabTitle(); notifyNewNotices(); offerNotifications(); });

// "?" lists the page's keyboard shortcuts (base.html's dialog, filled by each page's {% block shortcuts %});
// "/" goes to the page's first search field. Neither acts while a person types in a field.
function typingIn(element) {
  return element.closest("input, textarea, select, [contenteditable]") !== null;
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || typingIn(event.target)) return;
  const help = document.getElementById("shortcuts");
  if (event.key === "?" && help && !help.open) {
    event.preventDefault();
    help.showModal();
  } else if (event.key === "/" && !(help && help.open)) {
    const search = Array.from(document.querySelectorAll("input[type=search], textarea"))
      .find((field) => field.getClientRects().length > 0);
    if (search) { event.preventDefault(); search.focus(); }
  }
});
