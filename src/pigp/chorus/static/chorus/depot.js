/* Dépôt de factures : glisser-déposer les fichiers dans le cadre (amélioration progressive).
   Les fichiers déposés remplacent la sélection du champ ; le formulaire est ensuite envoyé
   normalement. Sans JavaScript, le champ de fichiers suffit. */
(function () {
  "use strict";

  function listChosen(input, list) {
    list.textContent = "";
    Array.prototype.forEach.call(input.files || [], function (file) {
      var item = document.createElement("li");
      item.textContent = file.name;
      list.appendChild(item);
    });
  }

  function init() {
    var zone = document.getElementById("depot-zone");
    var input = document.getElementById("depot-fichiers");
    var hint = document.getElementById("depot-hint");
    var list = document.getElementById("depot-choisis");
    if (!zone || !input || !list || typeof DataTransfer === "undefined") return;
    if (hint) hint.hidden = false;
    input.addEventListener("change", function () { listChosen(input, list); });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("pigp-dropzone--active");
      });
    });
    ["dragleave", "dragend"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("pigp-dropzone--active"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("pigp-dropzone--active");
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      var transfer = new DataTransfer();
      Array.prototype.forEach.call(event.dataTransfer.files, function (file) {
        transfer.items.add(file);
      });
      input.files = transfer.files;
      listChosen(input, list);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
