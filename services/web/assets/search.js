// The home page's address search: the geocoder's /search/ while typing, results as a list,
// each with a link to its commune's page, and on a map when MapLibre is there.
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
      if (p.citycode) {
        var link = document.createElement("a");
        link.className = "fr-link fr-link--sm ban-result__commune";
        link.href = "/commune/" + encodeURIComponent(p.citycode);
        link.textContent = "Voir la commune" + (p.city ? " de " + p.city : "");
        item.appendChild(link);
      }
      if (p.type === "housenumber" && p.citycode) {
        var report = document.createElement("a");
        report.className = "fr-link fr-link--sm ban-result__signaler";
        report.href = "/signaler?commune=" + encodeURIComponent(p.citycode) + "&adresse=" + encodeURIComponent(p.banId || p.id || "");
        report.textContent = "Signaler une erreur";
        item.appendChild(report);
      }
      item.dataset.id = p.id || "";
      list.appendChild(item);
    });
    showOnMap(features);
    state.textContent = features.length
      ? features.length + " résultat(s) pour « " + query + " »"
      : "Aucun résultat pour « " + query + " »";
    state.className = features.length ? "fr-sr-only" : "fr-text--sm";
  }

  // With MapLibre (map.js), the results as points on a map under the list (which says the same).
  function showOnMap(features) {
    var element = document.getElementById("carte-resultats");
    if (!element || !window.banMaps) return;
    var points = features.filter(function (f) { return f.geometry && f.geometry.type === "Point"; });
    element.hidden = points.length === 0;
    if (!points.length) return;
    var map = window.banMaps.open(element);
    if (!map) return;
    map.resize();
    var data = { type: "FeatureCollection", features: points };
    var draw = function () {
      if (map.getSource("resultats")) {
        map.getSource("resultats").setData(data);
      } else {
        map.addSource("resultats", { type: "geojson", data: data });
        map.addLayer({ id: "resultats", type: "circle", source: "resultats",
          paint: { "circle-color": "#000091", "circle-radius": 8, "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 } });
      }
      var code = points[0].properties && points[0].properties.citycode;
      if (code) window.banMaps.showContour(map, "/commune/" + encodeURIComponent(code) + "/contour.geojson");
      var bounds = new maplibregl.LngLatBounds();
      points.forEach(function (f) { bounds.extend(f.geometry.coordinates); });
      map.fitBounds(bounds, { padding: 60, maxZoom: 16, duration: 0 });
    };
    if (map.loaded() && map.getLayer("adresses")) draw(); else map.once("idle", draw);
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
