// Swagger UI over docqa's own OpenAPI document (served from node_modules by docqa; no CDN).
window.ui = window.SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: false,
});
