// Sign-in page of the staff console: posts the form as JSON with the console's header (CSRF rule).
"use strict";
(function () {
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  const notice = document.getElementById("login-notice");
  const params = new URLSearchParams(window.location.search);
  if (params.has("expired")) {
    notice.textContent = "Your session has ended. Please sign in again.";
    notice.hidden = false;
  } else if (params.has("signed-out")) {
    notice.textContent = "You are signed out.";
    notice.hidden = false;
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const button = document.getElementById("login-submit");
    button.disabled = true;
    try {
      const reply = await fetch("/staff/api/login", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-Requested-With": "pobyt-staff" },
        body: JSON.stringify({
          user: document.getElementById("login-user").value.trim(),
          password: document.getElementById("login-password").value,
        }),
      });
      if (reply.ok) {
        window.location.assign("/staff");
        return;
      }
      const body = await reply.json().catch(() => ({}));
      error.textContent = body.error || "Sign-in failed.";
    } catch (e) {
      error.textContent = "The server cannot be reached.";
    } finally {
      button.disabled = false;
    }
    error.hidden = false;
    document.getElementById("login-password").select();
  });
})();
