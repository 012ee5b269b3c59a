// The maps of the pages (MapLibre GL JS, vendored): the BAN's addresses from our vector tiles
// (/tiles/ban/{z}/{x}/{y}.pbf), coloured as the BAN's map colours them, over the communes of
// the same tiles (outlined, filled when the commune has published a BAL) and the commune's
// contour (served by BAN Sync: nothing outside is needed), or over the basemap style the
// service is configured with (WEB_BASEMAP_STYLE). The map only adds to the page: the same
// addresses are listed in its tables. No labels: they would need glyphs from outside.
(function () {
  "use strict";

  // Circles as the BAN's map draws them: fill by source, ring by certification.
  var ADDRESS_PAINT = {
    "circle-color": ["case", ["==", ["get", "sourcePosition"], "bal"], "#6a6af4", "#E69F00"],
    "circle-stroke-color": ["case", ["==", ["get", "certifie"], true], "#2fc368", "#ADB9C9"],
    "circle-stroke-width": ["interpolate", ["linear"], ["zoom"], 10, 0.5, 15, 1.5, 19, 2],
    "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 1.5, 14, 4, 17, 6, 19, 10],
    "circle-opacity": ["interpolate", ["linear"], ["zoom"], 10, 0.6, 13, 1]
  };

  // Communes (tiles of zoom 8 to 14): filled as their addresses are, by source (blue: the
  // commune's BAL; orange: an older BAN export), not at all when none is in the base;
  // the fill fades as the addresses appear.
  var COMMUNE_FILL = {
    "fill-color": ["match", ["get", "source"], "bal", "#6a6af4", "legacy", "#E69F00", "#ffffff"],
    "fill-opacity": ["case", ["has", "source"], ["interpolate", ["linear"], ["zoom"], 8, 0.35, 12, 0.08], 0]
  };
  var COMMUNE_LINE = {
    "line-color": "#666666",
    "line-width": ["interpolate", ["linear"], ["zoom"], 8, 0.3, 12, 1, 16, 2]
  };

  function absolute(path) {
    return new URL(path, window.location.href).href;
  }

  // Draws a commune's contour (GeoJSON at `url`) under the addresses, or moves it there.
  function showContour(map, url) {
    if (map.getSource("contour")) { map.getSource("contour").setData(absolute(url)); return; }
    var under = map.getLayer("adresses") ? "adresses" : undefined;
    map.addSource("contour", { type: "geojson", data: absolute(url) });
    map.addLayer({ id: "contour-fond", type: "fill", source: "contour", paint: { "fill-color": "#e3e3fd", "fill-opacity": 0.45 } }, under);
    map.addLayer({ id: "contour-trait", type: "line", source: "contour", paint: { "line-color": "#000091", "line-width": 2 } }, under);
  }

  // An address's bubble: its label, and a link to report an error on it (report.js's form).
  function bubble(text, p) {
    var content = document.createElement("div");
    var label = document.createElement("p");
    label.className = "fr-mb-1v";
    label.textContent = text;
    content.appendChild(label);
    if (p.codeCommune && p.id) {
      var link = document.createElement("a");
      link.className = "fr-link fr-link--sm ban-signaler";
      link.href = "/signaler?commune=" + encodeURIComponent(p.codeCommune) + "&adresse=" + encodeURIComponent(p.id);
      link.textContent = "Signaler une erreur";
      content.appendChild(link);
    }
    return content;
  }

  // Adds our sources and layers to a loaded map.
  function addLayers(map, element) {
    if (element.dataset.contour) showContour(map, element.dataset.contour);
    map.addSource("ban", {
      type: "vector",
      // Tiles of zoom 8 to 14 (addresses from 10); the map enlarges those of 14 beyond.
      tiles: [absolute(element.dataset.tiles).replace(/%7B/g, "{").replace(/%7D/g, "}")],
      minzoom: 8,
      maxzoom: 14,
      promoteId: { adresses: "id", toponymes: "id", communes: "code" }
    });
    var under = map.getLayer("contour-fond") ? "contour-fond" : undefined;
    map.addLayer({ id: "communes-fond", type: "fill", source: "ban", "source-layer": "communes", paint: COMMUNE_FILL }, under);
    map.addLayer({ id: "communes-trait", type: "line", source: "ban", "source-layer": "communes", paint: COMMUNE_LINE }, under);
    map.addLayer({ id: "adresses", type: "circle", source: "ban", "source-layer": "adresses", minzoom: 10, paint: ADDRESS_PAINT });
    // A map where a click places a position (the report form) opens no bubble.
    if (element.hasAttribute("data-pick")) return;
    map.on("click", "adresses", function (event) {
      var p = event.features[0].properties;
      var text = [p.numero, p.suffixe, p.nomVoie].filter(Boolean).join(" ") + (p.certifie ? " (certifiée)" : "");
      new maplibregl.Popup({ closeButton: true }).setLngLat(event.lngLat).setDOMContent(bubble(text, p)).addTo(map);
    });
    map.on("mouseenter", "adresses", function () { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", "adresses", function () { map.getCanvas().style.cursor = ""; });
  }

  // A map in `element` (its data-* attributes say what to draw), kept as element.banMap.
  function open(element) {
    if (!window.maplibregl || element.banMap) return element.banMap;
    var offline = { version: 8, sources: {}, layers: [{ id: "fond", type: "background", paint: { "background-color": "#f6f6f6" } }] };
    var options = {
      container: element,
      style: element.dataset.basemap || offline,
      attributionControl: { compact: true, customAttribution: "Base Adresse Nationale — BAN Sync" },
      maxZoom: 19,
      locale: {
        "NavigationControl.ZoomIn": "Zoomer",
        "NavigationControl.ZoomOut": "Dézoomer",
        "Popup.Close": "Fermer",
        "Map.Title": "Carte"
      }
    };
    if (element.dataset.bounds) {
      var b = element.dataset.bounds.split(",").map(Number);
      options.bounds = [[b[0], b[1]], [b[2], b[3]]];
      options.fitBoundsOptions = { padding: 20 };
    } else {
      options.center = [1.7, 46.9];
      options.zoom = 5;
    }
    var map = new maplibregl.Map(options);
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
    map.on("load", function () { addLayers(map, element); });
    element.banMap = map;
    return map;
  }

  window.banMaps = { open: open, showContour: showContour };
  // Maps shown with the page; a `data-lazy` one is opened by its page's script when needed.
  document.querySelectorAll(".ban-map[data-tiles]:not([data-lazy])").forEach(open);
})();
