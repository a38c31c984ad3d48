// Starts every GOV.UK Frontend component on the page (header menu, details, error summary, buttons...).
import { initAll } from "../vendor/govuk/govuk-frontend.min.js";

initAll();
