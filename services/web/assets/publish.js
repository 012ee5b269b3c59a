// The publication pages: communes offered while typing (step 1), and the follow-up page kept
// up to date without reloading it. Both pages work without this script (the commune may be
// typed in full; the follow-up reloads itself through a <noscript> refresh).
(function () {
  "use strict";
  var input = document.getElementById("commune");
  var list = document.getElementById("communes-liste");
  if (input && list) {
    var timer = null;
    var status = document.getElementById("communes-etat");
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value.trim();
      if (text.length < 2 || /\(\w{5}\)$/.test(text)) { return; }
      timer = setTimeout(function () {
        fetch("/publier/communes?q=" + encodeURIComponent(text))
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (communes) {
            list.innerHTML = "";
            communes.forEach(function (c) {
              var option = document.createElement("option");
              option.value = c.nom + " (" + c.code + ")";
              list.appendChild(option);
            });
            if (status) { status.textContent = communes.length + " commune(s) proposée(s)"; }
          })
          .catch(function () {});
      }, 150);
    });
  }

  var follow = document.getElementById("suivi");
  if (follow && follow.dataset.final === "false") {
    var states = function () {
      return Array.prototype.map.call(follow.querySelectorAll("[data-stage]"), function (li) {
        return li.dataset.stage + ":" + li.dataset.state;
      }).join(",");
    };
    var poll = function () {
      fetch(follow.dataset.json, { cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (tracking) {
          if (!tracking) { return setTimeout(poll, 3000); }
          var seen = tracking.stages.map(function (s) { return s.key + ":" + s.state; }).join(",");
          if (seen === states() && !tracking["final"]) { return setTimeout(poll, 1500); }
          // Something changed: the server renders the section again.
          return fetch(window.location.href, { cache: "no-store" })
            .then(function (r) { return r.text(); })
            .then(function (text) {
              var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("suivi");
              if (fresh) {
                follow.innerHTML = fresh.innerHTML;
                follow.dataset.final = fresh.dataset.final;
              }
              if (follow.dataset.final !== "true") { setTimeout(poll, 1500); }
            });
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    setTimeout(poll, 1000);
  }
})();
