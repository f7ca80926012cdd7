// Light enhancement of the dossier's uploads: the limits are told before sending (the server checks again).
(function () {
  document.querySelectorAll("input[type=file][data-max-ko]").forEach(function (input) {
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      var max = Number(input.dataset.maxKo) * 1024;
      var message = "";
      if (file && file.size > max) {
        message = "Le fichier dépasse " + input.dataset.maxKo + " Ko (taille : " + Math.ceil(file.size / 1024) + " Ko).";
      } else if (file && !/\.(pdf|jpe?g|png)$/i.test(file.name)) {
        message = "Type de fichier non accepté : seuls les PDF, JPEG et PNG sont acceptés.";
      }
      input.setCustomValidity(message);
      if (message) input.reportValidity();
    });
    // the sheet's form is sent without the browser's checks (novalidate): its upload button checks the file
    var button = input.parentNode.querySelector("button[name=piece]");
    if (button) {
      button.addEventListener("click", function (event) {
        if (!input.checkValidity()) {
          event.preventDefault();
          input.reportValidity();
        }
      });
    }
  });
})();
