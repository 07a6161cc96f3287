// Swagger UI for /docs, on this orchestrator's own document; a file, as the page's CSP runs no inline script.
/* global SwaggerUIBundle, window */
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  // A token typed into "Authorize" stays in this tab only.
  persistAuthorization: false,
})
