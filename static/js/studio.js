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
