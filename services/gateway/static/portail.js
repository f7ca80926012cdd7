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
        var state = item.querySelector("[data-etat]");
        if (state) state.textContent = ok ? " (respectée)" : " (non respectée)";
      });
    }
    input.addEventListener("input", update);
    update();
  });
  // A list that sends its form once chosen with the mouse or a finger, never on the arrow keys that move
  // through it (a keyboard user sends with Entrée or the form's button).
  function autoSubmit(select) {
    var byKey = false;
    select.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
      } else if (event.key !== "Tab") {
        byKey = true;
      }
    });
    select.addEventListener("pointerdown", function () { byKey = false; });
    select.addEventListener("change", function () {
      if (!byKey) select.form.submit();
      byKey = false;
    });
  }
  // The structure in the header, the child and activity of Réservations (a button stands in without JavaScript).
  document.querySelectorAll("select[data-envoi-auto]").forEach(autoSubmit);
  // The print page's button.
  document.querySelectorAll("[data-imprimer]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // On a phone or a tablet the menu opens from the button at the top right (without JavaScript it stays open).
  var button = document.querySelector(".menu-bouton");
  var menu = document.getElementById("menu");
  if (button && menu) {
    document.documentElement.classList.add("js");
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = menu.classList.toggle("ouvert");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
})();
