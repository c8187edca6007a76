// One click puts a suggested date ("Did you mean 2024-05-20, 20 May 2024?") into its field.
// The editor still sees it and saves the form; nothing is saved from here.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button.accept-date");
  if (!button) return;
  var field = document.getElementById(button.dataset.field);
  if (!field) return;
  field.value = button.dataset.value;
  field.focus();
  button.disabled = true;
  button.textContent = button.dataset.value + " \u2713";
});
