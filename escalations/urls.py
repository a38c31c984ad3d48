"""The escalation pages: the raiser's and holder's journeys, and the attachments on an escalation."""
from .urls_main import urlpatterns as main_patterns

app_name = "escalations"
urlpatterns = main_patterns
