// The escalation record's "Print this record" button: shown only where JavaScript runs, it opens the
// browser's print dialogue.
(function () {
  var button = document.getElementById("print-record");
  if (!button) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
