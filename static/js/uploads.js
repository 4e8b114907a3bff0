// One file uploaded to a project's library with a progress row; shared by the project page and the composer.
window.StudioUploads = (function () {
  "use strict";

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function addRow(list, name, text, { prepend = false } = {}) {
    const row = document.createElement("li");
    row.className = "upload-row";
    row.innerHTML = '<span class="upload-name"></span><progress max="100" value="0"></progress><span class="upload-state"></span>';
    row.querySelector(".upload-name").textContent = name;
    row.querySelector(".upload-state").textContent = text;
    if (prepend) list.prepend(row); else list.append(row);
    return row;
  }

  function finish(row, status, message) {
    row.classList.add("is-" + status);
    row.querySelector("progress").value = 100;
    row.querySelector(".upload-state").textContent = message;
  }

  // Resolves with the server's result for the file ({status, message, asset_id, …}); failures become "rejected".
  function send({ url, file, role, row, texts }) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      const progress = row.querySelector("progress");
      const state = row.querySelector(".upload-state");
      const rejected = (message) => ({ status: "rejected", message, asset_id: null });
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 95);
        if (texts.textChecking) state.textContent = event.loaded >= event.total ? texts.textChecking : texts.textUploading;
      };
      xhr.onload = () => {
        let result = null;
        try { result = JSON.parse(xhr.responseText).results[0]; } catch (error) { result = null; }
        if (xhr.status === 200 && result) resolve(result);
        else if (xhr.status === 403) resolve(rejected((xhr.responseText.match(/<p>([^<]+)<\/p>/) || [])[1] || texts.textFailed));
        else resolve(rejected(texts.textFailed));
      };
      xhr.onerror = () => resolve(rejected(texts.textFailed));
      const form = new FormData();
      form.append("files", file, file.name);
      form.append("role", role);
      xhr.send(form);
    });
  }

  return { addRow, finish, send };
})();
