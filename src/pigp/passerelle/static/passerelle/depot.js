/* Dépôt de fichiers sur la passerelle : glisser-déposer ou sélection, une requête par fichier
   avec sa barre de progression, puis suivi du statut jusqu'au résultat final.
   Sans JavaScript, le formulaire est envoyé tel quel et la page de résultat s'affiche. */
(function () {
  "use strict";

  var POLL_MS = 1500;
  var POLL_LIMIT_MS = 10 * 60 * 1000;

  function text(el, value) {
    el.textContent = value;
    return el;
  }

  function sizeLabel(bytes) {
    if (bytes < 1000) return bytes + " octets";
    if (bytes < 1000000) return (bytes / 1000).toFixed(1).replace(".", ",") + " ko";
    return (bytes / 1000000).toFixed(1).replace(".", ",") + " Mo";
  }

  function getJSON(url, done, fail) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (xhr.status === 200 && data) done(data); else fail(xhr.status);
    };
    xhr.onerror = function () { fail(0); };
    xhr.send();
  }

  /* Suivi d'un statut : interroge la passerelle jusqu'à un statut final. */
  function poll(url, update, started) {
    window.setTimeout(function () {
      getJSON(url, function (data) {
        update(data);
        if (!data.final) {
          if (Date.now() - started < POLL_LIMIT_MS) poll(url, update, started);
          else update(data, "Le contrôle se poursuit : consultez la page du flux plus tard.");
        }
      }, function () {
        if (Date.now() - started < POLL_LIMIT_MS) poll(url, update, started);
      });
    }, POLL_MS);
  }

  /* Page de résultat sans JavaScript : mise à jour des statuts affichés. */
  function followResults() {
    var items = document.querySelectorAll("[data-statut-url][data-final='0']");
    Array.prototype.forEach.call(items, function (item) {
      poll(item.getAttribute("data-statut-url"), function (data, note) {
        var badge = item.querySelector("[data-badge]");
        badge.className = "fr-badge fr-badge--sm " + data.badge;
        text(badge, data.libelle);
        text(item.querySelector("[data-message]"), note || data.message);
        item.setAttribute("data-final", data.final ? "1" : "0");
        // A flow's page shows more than the status (history, findings): show it all again.
        if (data.final && item.hasAttribute("data-reload")) window.location.reload();
      }, Date.now());
    });
  }

  function setupDeposit(form) {
    var url = form.getAttribute("data-upload-url");
    var maxSize = parseInt(form.getAttribute("data-max-size"), 10) || 0;
    var csrf = form.querySelector("input[name='csrfmiddlewaretoken']").value;
    var input = form.querySelector("input[type='file']");
    var zone = document.getElementById("depot-zone");
    var list = document.getElementById("depot-liste");
    var section = document.getElementById("depot-section");
    var model = document.getElementById("depot-modele");
    var queue = [];
    var busy = false;

    document.getElementById("depot-hint").hidden = false;
    document.getElementById("depot-submit").hidden = true;
    zone.classList.add("pigp-dropzone--active");

    function showError(li, message) {
      li.classList.add("pigp-depot--erreur");
      var box = document.createElement("div");
      box.className = "fr-alert fr-alert--error fr-alert--sm";
      box.appendChild(text(document.createElement("p"), "Dépôt impossible : " + message));
      li.querySelector("[data-resultats]").appendChild(box);
    }

    function setProgress(li, pct) {
      var value = Math.max(0, Math.min(100, Math.round(pct)));
      li.querySelector("[data-barre]").value = value;
      text(li.querySelector("[data-pourcent]"), value + " %");
    }

    function showFlux(li, data, several) {
      var box = document.createElement("div");
      box.className = "pigp-depot__resultat";
      box.setAttribute("data-flux", data.id);
      var line = document.createElement("p");
      line.className = "fr-mb-1v";
      if (several) line.appendChild(document.createTextNode(data.nom + " : "));
      var badge = document.createElement("span");
      line.appendChild(badge);
      if (data.nouveau === false) {
        var dup = text(document.createElement("span"), " (déjà reçu : flux existant)");
        dup.className = "fr-text--sm";
        line.appendChild(dup);
      }
      var message = document.createElement("p");
      message.className = "fr-text--sm fr-mb-1v";
      var links = document.createElement("p");
      links.className = "fr-text--sm";
      var link = text(document.createElement("a"), "Voir le flux " + data.nom);
      link.href = data.url;
      links.appendChild(link);
      var acquit = text(document.createElement("a"), "Télécharger l'acquittement");
      acquit.className = "fr-ml-2w";
      acquit.hidden = true;
      links.appendChild(acquit);
      box.appendChild(line);
      box.appendChild(message);
      box.appendChild(links);
      li.querySelector("[data-resultats]").appendChild(box);

      function update(d, note) {
        badge.className = "fr-badge fr-badge--sm " + d.badge;
        text(badge, d.libelle);
        text(message, note || d.message);
        box.setAttribute("data-statut", d.statut);
        box.setAttribute("data-final", d.final ? "1" : "0");
        if (d.acquit_url) {
          acquit.href = d.acquit_url;
          acquit.hidden = false;
        }
      }
      update(data);
      if (!data.final) poll(data.statut_url, update, Date.now());
    }

    function send(file, li, next) {
      var body = new FormData();
      body.append("fichiers", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) setProgress(li, (e.loaded / e.total) * 100);
      };
      xhr.upload.onload = function () {
        setProgress(li, 100);
        text(li.querySelector("[data-etat]"), "Fichier envoyé, contrôle en cours…");
      };
      xhr.onload = function () {
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        text(li.querySelector("[data-etat]"), "");
        if (xhr.status >= 200 && xhr.status < 300 && data && data.flux) {
          setProgress(li, 100);
          li.classList.add("pigp-depot--recu");
          data.flux.forEach(function (f) { showFlux(li, f, data.flux.length > 1); });
        } else if (data && data.erreur) {
          showError(li, data.erreur);
        } else if ((xhr.responseURL || "").indexOf("/connexion/") !== -1) {
          showError(li, "votre session a expiré : reconnectez-vous, puis déposez à nouveau ce fichier.");
        } else if (xhr.status === 403) {
          showError(li, "votre profil ne permet pas de déposer, ou votre session a expiré.");
        } else {
          showError(li, "la passerelle n'a pas pu recevoir le fichier (erreur " + xhr.status + "). Réessayez.");
        }
        next();
      };
      xhr.onerror = function () {
        showError(li, "la connexion a été interrompue : le fichier n'a pas été reçu. Réessayez.");
        next();
      };
      xhr.send(body);
    }

    function pump() {
      if (busy || !queue.length) return;
      busy = true;
      var job = queue.shift();
      text(job.li.querySelector("[data-etat]"), "Envoi en cours…");
      send(job.file, job.li, function () { busy = false; pump(); });
    }

    function add(files) {
      if (!files || !files.length) return;
      section.hidden = false;
      Array.prototype.forEach.call(files, function (file) {
        var li = model.content.firstElementChild.cloneNode(true);
        text(li.querySelector("[data-nom]"), file.name);
        text(li.querySelector("[data-taille]"), "(" + sizeLabel(file.size) + ")");
        li.querySelector("[data-barre]").setAttribute("aria-label", "Envoi de " + file.name);
        var state = document.createElement("p");
        state.className = "fr-text--sm fr-mb-1v";
        state.setAttribute("data-etat", "");
        text(state, "En attente d'envoi…");
        li.querySelector("[data-resultats]").before(state);
        list.appendChild(li);
        if (file.size === 0) {
          text(state, "");
          showError(li, "le fichier est vide : rien n'a été déposé.");
        } else if (maxSize && file.size > maxSize) {
          text(state, "");
          showError(li, "le fichier dépasse la taille maximale autorisée.");
        } else {
          queue.push({ file: file, li: li });
        }
      });
      pump();
    }

    input.addEventListener("change", function () {
      add(input.files);
      input.value = "";
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      add(input.files);
      input.value = "";
    });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (e) {
        e.preventDefault();
        zone.classList.add("pigp-dropzone--over");
      });
    });
    ["dragleave", "dragend"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("pigp-dropzone--over"); });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      zone.classList.remove("pigp-dropzone--over");
      if (e.dataTransfer) add(e.dataTransfer.files);
    });
  }

  function start() {
    var form = document.getElementById("depot-form");
    if (form && window.XMLHttpRequest && window.FormData) setupDeposit(form);
    followResults();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
