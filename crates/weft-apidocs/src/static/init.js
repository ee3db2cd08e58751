// Starts Swagger UI on the element that names the OpenAPI document in `data-spec-url`.
//
// This is a file of its own, not an inline <script>, so that the page works under a
// Content-Security-Policy that allows scripts from 'self' only.
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  if (!root) {
    return;
  }
  var SwaggerUIBundle = window.SwaggerUIBundle;
  if (typeof SwaggerUIBundle !== "function") {
    root.textContent = "Swagger UI did not load; the OpenAPI document is at " +
      root.getAttribute("data-spec-url");
    return;
  }
  window.ui = SwaggerUIBundle({
    domNode: root,
    url: root.getAttribute("data-spec-url"),
    // Only the document named by the server: never one named in the page's query string
    // (?url=, ?configUrl=), which would let a link point the page at another origin.
    queryConfigEnabled: false,
    // No validator badge: it would send the document to an online validator.
    validatorUrl: null,
    // BaseLayout has no top bar with a URL box (that is the standalone preset's layout).
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    deepLinking: true,
    tryItOutEnabled: true,
    // Keep the token given to "Authorize" across reloads (in this origin's localStorage).
    persistAuthorization: true,
    displayRequestDuration: true,
    filter: true,
    // Requests carry the bearer token, not cookies.
    withCredentials: false
  });
})();
