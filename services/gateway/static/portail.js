// Light enhancements only: every page works without JavaScript.
(function () {
  // The password rules get a tick as each one is met (the server checks them again).
  var RULES = {
    min_length: function (p) { return p.length >= 8; },
    lower: function (p) { return /\p{Ll}/u.test(p); },
    upper: function (p) { return /\p{Lu}/u.test(p); },
    digit: function (p) { return /\p{Nd}/u.test(p); },
    max_length: function (p) { return p.length > 0 && p.length <= 30; }
  };
  document.querySelectorAll("[data-mot-de-passe]").forEach(function (input) {
    var list = input.form.querySelector("[data-regles]");
    if (!list) return;
    function update() {
      list.querySelectorAll("[data-regle]").forEach(function (item) {
        var met = RULES[item.dataset.regle](input.value);
        item.classList.toggle("respectee", met);
        item.setAttribute("aria-checked", met ? "true" : "false");
      });
    }
    input.addEventListener("input", update);
    update();
  });
  // Choosing another structure in the header applies it at once (a button stands in without JavaScript).
  document.querySelectorAll("select[data-envoi-auto]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // The print page's button.
  document.querySelectorAll("[data-imprimer]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // On a phone or a tablet the menu opens from the button at the top right.
  var button = document.querySelector(".menu-bouton");
  var menu = document.getElementById("menu");
  if (button && menu) {
    button.addEventListener("click", function () {
      var open = menu.classList.toggle("ouvert");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
})();
