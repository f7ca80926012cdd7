// Réservations: light enhancements only, every form works without JavaScript.
(function () {
  var KEY = "portail.panier";
  var root = document.querySelector(".reservations");
  if (!root) return;
  var current = document.getElementById("panier-courant");
  var store = null;
  try { store = window.sessionStorage; } catch (e) { store = null; }

  function count(json) {
    try { var v = JSON.parse(json || "[]"); return Array.isArray(v) ? v.length : 0; } catch (e) { return 0; }
  }

  // The basket is kept in this tab too: a page reached by a plain link offers to take it back.
  if (current && store) {
    var stored = store.getItem(KEY);
    var banner = document.querySelector("[data-reprise]");
    if (root.dataset.reprisePossible === "oui" && count(current.value) === 0 && count(stored) > 0 && banner) {
      banner.querySelector("[data-panier-reprise]").value = stored;
      banner.querySelector("p").textContent = count(stored) + " demande(s) non validée(s) ont été conservées dans ce navigateur.";
      banner.hidden = false;
    } else {
      store.setItem(KEY, current.value);
    }
  }

  // Choosing a child or an activity with the mouse or a finger shows its calendar at once; with the arrow keys
  // nothing is sent until the "Afficher" button (or Entrée) is pressed: portail.js (run after this file).
  document.querySelectorAll("form[data-auto]").forEach(function (form) {
    form.querySelectorAll("select").forEach(function (select) { select.setAttribute("data-envoi-auto", ""); });
  });

  // Copy screen: the activities offered are those of the chosen child.
  document.querySelectorAll("select[data-activites-de]").forEach(function (select) {
    var child = document.getElementById(select.dataset.activitesDe);
    if (!child) return;
    function filter() {
      var firstVisible = null, selectedVisible = false;
      Array.prototype.forEach.call(select.options, function (option) {
        var visible = option.dataset.enfant === child.value;
        option.hidden = !visible;
        option.disabled = !visible;
        if (visible && !firstVisible) firstVisible = option;
        if (visible && option.selected) selectedVisible = true;
      });
      if (!selectedVisible && firstVisible) firstVisible.selected = true;
    }
    child.addEventListener("change", filter);
    filter();
  });

  // The time picker: hours and minutes with − / + buttons, within the activity's hours.
  function toMinutes(v) { var p = (v || "").split(":"); return p.length < 2 ? null : +p[0] * 60 + +p[1]; }
  function toTime(m) { var h = Math.floor(m / 60), n = m % 60; return (h < 10 ? "0" : "") + h + ":" + (n < 10 ? "0" : "") + n; }
  document.querySelectorAll("input[data-heure]").forEach(function (input) {
    var label = (input.labels && input.labels[0] ? input.labels[0].textContent : "Heure").trim();
    var box = document.createElement("div");
    box.className = "curseurs";
    [["Heures", 60], ["Minutes", 5]].forEach(function (unit) {
      var group = document.createElement("span");
      group.appendChild(document.createTextNode(unit[0] + " "));
      [["−", -1, "moins"], ["+", 1, "plus"]].forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = b[0];
        button.setAttribute("aria-label", label + " : " + unit[0].toLowerCase() + " " + b[2]);
        button.addEventListener("click", function () {
          var min = toMinutes(input.min), max = toMinutes(input.max);
          var value = toMinutes(input.value);
          if (value === null) value = min !== null ? min : 0;
          value += b[1] * unit[1];
          if (min !== null && value < min) value = min;
          if (max !== null && value > max) value = max;
          input.value = toTime(value);
          input.dispatchEvent(new Event("change", { bubbles: true }));
        });
        group.appendChild(button);
        group.appendChild(document.createTextNode(" "));
      });
      box.appendChild(group);
    });
    input.insertAdjacentElement("afterend", box);
  });

  // The private calendar link is selected in one tap to be copied.
  document.querySelectorAll("[data-lien-ical]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
})();
