// Light enhancements only: every page works without JavaScript.
(function () {
  // The password rules get a tick as each one is met (the server checks them again). Each rule comes from
  // auth with the page: data-min / data-max (length) and data-motif (a character class, as a RegExp).
  function met(item, p) {
    var rule = item.dataset;
    if (!p.length) return false;
    if (rule.min && p.length < Number(rule.min)) return false;
    if (rule.max && p.length > Number(rule.max)) return false;
    return !rule.motif || new RegExp(rule.motif, "u").test(p);
  }
  document.querySelectorAll("[data-mot-de-passe]").forEach(function (input) {
    var list = input.form.querySelector("[data-regles]");
    if (!list) return;
    function update() {
      list.querySelectorAll("[data-regle]").forEach(function (item) {
        var ok = met(item, input.value);
        item.classList.toggle("respectee", ok);
        item.setAttribute("aria-checked", ok ? "true" : "false");
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
