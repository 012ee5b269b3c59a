// The validator page works without JavaScript; this only says that a validation is running
// (a large file takes a few seconds to upload and check).
(function () {
  "use strict";
  var form = document.getElementById("validateur");
  var state = document.getElementById("validateur-etat");
  if (!form || !state) return;
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.id === "valider") {
      state.textContent = "Validation en cours…";
    }
  });
})();
