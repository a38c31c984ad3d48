"""The escalation pages: the raiser's and holder's journeys, and the PSW's and QA&P chair's pages."""
from .urls_main import urlpatterns as main_patterns
from .urls_oversight import urlpatterns as oversight_patterns

app_name = "escalations"
urlpatterns = main_patterns + oversight_patterns
