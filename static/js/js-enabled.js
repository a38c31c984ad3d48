// Marks the page as having JavaScript before it is drawn, as GOV.UK Frontend expects (its components
// style themselves for JavaScript from these classes). Loaded at the top of <body>, not inline, so
// that the Content-Security-Policy allows scripts from this server only.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
