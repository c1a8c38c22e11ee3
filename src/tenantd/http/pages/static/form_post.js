// Posts the authorize answer to the application's redirect URI (response_mode=form_post). A file of the
// server's own origin: the pages' Content-Security-Policy allows no inline script.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("hiddenform");
  if (form) {
    form.submit();
  }
});
