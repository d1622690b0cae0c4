// The API documentation page (/api/v1/docs): Swagger UI, vendored under /static/vendor/swagger-ui,
// reading this process's own OpenAPI document. No inline script: mamoru's CSP allows 'self' only.
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    tryItOutEnabled: false,
    persistAuthorization: false
  });
});
