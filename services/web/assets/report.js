// The report form (« Signaler une erreur »): a click on the commune's map places the report's
// position and fills the longitude and latitude fields, which stay the form's truth (typed by
// hand without a script, or read from the address reported). Draws with map.js (banMaps).
(function () {
  "use strict";
  var element = document.getElementById("carte-signalement");
  var lon = document.getElementById("lon");
  var lat = document.getElementById("lat");
  var said = document.getElementById("position-choisie");
  if (!element || !lon || !lat || !window.banMaps || !window.maplibregl) return;
  element.hidden = false;
  var map = window.banMaps.open(element);
  if (!map) return;
  var marker = null;

  function typed() {
    var point = [parseFloat(lon.value.replace(",", ".")), parseFloat(lat.value.replace(",", "."))];
    return isFinite(point[0]) && isFinite(point[1]) ? point : null;
  }

  function place(point) {
    if (marker) marker.setLngLat(point);
    else marker = new maplibregl.Marker({ color: "#000091" }).setLngLat(point).addTo(map);
  }

  var start = typed();
  if (start) {
    place(start);
    map.jumpTo({ center: start, zoom: 17 });
  }
  map.on("click", function (event) {
    lon.value = event.lngLat.lng.toFixed(6);
    lat.value = event.lngLat.lat.toFixed(6);
    place([event.lngLat.lng, event.lngLat.lat]);
    if (said) said.textContent = "Position choisie : longitude " + lon.value + ", latitude " + lat.value + ".";
  });
  [lon, lat].forEach(function (input) {
    input.addEventListener("change", function () {
      var point = typed();
      if (point) { place(point); map.easeTo({ center: point }); }
    });
  });
})();
