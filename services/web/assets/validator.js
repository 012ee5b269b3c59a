// The validator page works without JavaScript (the form posts to the page, which answers the
// report). With it, the form is sent in the background and only the report is replaced: the
// chosen file stays in the form, so the buttons that download every finding work at once.
(function () {
  "use strict";
  var form = document.getElementById("validateur");
  var state = document.getElementById("validateur-etat");
  var result = document.getElementById("resultat");
  if (!form || !state || !result || !window.fetch || !window.FormData || !window.DOMParser) return;
  var button = document.getElementById("valider");

  function settle() {
    var again = document.getElementById("rechoisir");
    if (again) again.hidden = true;
    // The buttons that download every finding come with a report, and go with it.
    var reported = !!document.getElementById("rapport");
    document.querySelectorAll(".ban-anomalies").forEach(function (item) { item.hidden = !reported; });
  }

  form.addEventListener("submit", function (event) {
    if (!event.submitter || event.submitter.id !== "valider") return;
    event.preventDefault();
    state.textContent = "Validation en cours…";
    button.disabled = true;
    fetch(form.action, { method: "POST", body: new FormData(form) })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var answer = page.getElementById("resultat");
        result.innerHTML = answer ? answer.innerHTML : "";
        settle();
        state.textContent = "";
        var heading = document.getElementById("rapport-titre") || document.getElementById("probleme");
        if (heading) {
          if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
          heading.focus();
        }
      })
      .catch(function () {
        state.textContent = "La validation n’a pas abouti : vérifiez la connexion et réessayez.";
      })
      .then(function () { button.disabled = false; });
  });
})();
