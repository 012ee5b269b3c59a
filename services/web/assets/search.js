// The home page's address search: the geocoder's /search/ while typing, results as a list.
(function () {
  "use strict";
  var form = document.getElementById("recherche");
  var input = document.getElementById("recherche-adresse");
  var list = document.getElementById("resultats-liste");
  var state = document.getElementById("resultats-etat");
  if (!form || !input || !list) return;
  var timer = null;
  var latest = 0;
  var kinds = { housenumber: "Adresse", street: "Voie", locality: "Lieu-dit", municipality: "Commune" };

  function show(features, query) {
    list.textContent = "";
    features.forEach(function (feature) {
      var p = feature.properties || {};
      var item = document.createElement("li");
      var label = document.createElement("span");
      label.className = "ban-result__label";
      label.textContent = p.label || p.name || "";
      var context = document.createElement("span");
      context.className = "ban-result__context";
      context.textContent = [kinds[p.type] || p.type, p.postcode, p.context].filter(Boolean).join(" · ");
      item.appendChild(label);
      item.appendChild(context);
      item.dataset.id = p.id || "";
      list.appendChild(item);
    });
    state.textContent = features.length
      ? features.length + " résultat(s) pour « " + query + " »"
      : "Aucun résultat pour « " + query + " »";
    state.className = features.length ? "fr-sr-only" : "fr-text--sm";
  }

  function search() {
    var query = input.value.trim();
    if (query.length < 3) { list.textContent = ""; state.textContent = ""; return; }
    var ticket = ++latest;
    fetch("/search/?q=" + encodeURIComponent(query) + "&autocomplete=1&limit=5")
      .then(function (response) {
        if (response.status === 503) throw new Error("Le géocodeur démarre : réessayez dans quelques secondes.");
        if (!response.ok) throw new Error("La recherche a échoué (" + response.status + ").");
        return response.json();
      })
      .then(function (answer) { if (ticket === latest) show(answer.features || [], query); })
      .catch(function (error) {
        if (ticket !== latest) return;
        list.textContent = "";
        state.textContent = error.message;
        state.className = "fr-text--sm fr-error-text";
      });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    search();
  });
  if (input.value) search();
})();
