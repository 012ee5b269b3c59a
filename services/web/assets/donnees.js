// The downloads page: a « Copier » button beside each example, when the browser lets a page
// write to the clipboard (without it, the examples stay selectable text).
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) return;
  var status = document.createElement("p");
  status.className = "fr-sr-only";
  status.setAttribute("aria-live", "polite");
  document.body.appendChild(status);
  document.querySelectorAll("pre.ban-exemple").forEach(function (pre) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "fr-btn fr-btn--sm fr-btn--tertiary ban-copier";
    button.textContent = "Copier";
    button.setAttribute("aria-label", "Copier : " + (pre.getAttribute("data-label") || "l’exemple"));
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(pre.textContent.trim()).then(function () {
        button.textContent = "Copié";
        status.textContent = "Exemple copié dans le presse-papiers.";
        setTimeout(function () { button.textContent = "Copier"; }, 2000);
      }, function () {
        status.textContent = "La copie a échoué : sélectionnez le texte de l’exemple.";
      });
    });
    pre.parentNode.insertBefore(button, pre.nextSibling);
  });
})();
