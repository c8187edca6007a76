// Screen readers announce an autocomplete box (select2) by the text of what is chosen, which is
// nothing while it is empty. Name each box after its field's label as well, including boxes
// added later in new inline rows.
(function () {
  function nameBoxes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var container = select.nextElementSibling;
      var box = container && container.querySelector(".select2-selection[role=combobox]");
      var label = select.id && document.querySelector('label[for="' + select.id + '"]');
      if (!box || !label || box.dataset.named) return;
      if (!label.id) label.id = select.id + "_label";
      var current = box.getAttribute("aria-labelledby");
      box.setAttribute("aria-labelledby", current ? label.id + " " + current : label.id);
      // The chosen value inside the box is a read-only text box of its own: the same name.
      var shown = box.querySelector(".select2-selection__rendered");
      if (shown) shown.setAttribute("aria-labelledby", label.id + (shown.id ? " " + shown.id : ""));
      box.dataset.named = "1";
    });
  }
  new MutationObserver(nameBoxes).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", nameBoxes);
})();
