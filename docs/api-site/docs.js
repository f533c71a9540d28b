// Boomerang's API reference: Swagger UI over the two committed OpenAPI documents (docs/openapi/).
// Reading only: the page is served beside the API, and trying a call needs a key or a staff token,
// which a reference page should not ask for.
window.ui = SwaggerUIBundle({
  urls: [
    { url: "docs/storefront.json", name: "Storefront API" },
    { url: "docs/staff.json", name: "Staff API" },
  ],
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
  supportedSubmitMethods: [],
});
