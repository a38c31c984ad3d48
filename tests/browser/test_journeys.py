"""Real-browser journeys: a person's whole job, clicked through in headless Chromium."""
import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def click(browser, element):
    """Click through GOV.UK's styled radios and details, which cover their native inputs."""
    browser.execute_script("arguments[0].click();", element)


def wait_for_text(browser, text, selector="main"):
    """Wait for the next page to show ``text`` (the old page may still be there just after a click)."""
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)).until(
        lambda b: text in b.find_element(By.CSS_SELECTOR, selector).text)
    return browser.find_element(By.CSS_SELECTOR, selector).text


def sign_out(browser):
    click(browser, browser.find_element(By.CSS_SELECTOR, "[data-testid=user-bar] button[type=submit]"))
    # Wait for the signed-out page, so the next sign-in cannot overtake the sign-out.
    WebDriverWait(browser, 10).until(lambda b: "/sign-in/" in b.current_url and b.find_elements(By.ID, "id_username"))


def field(form, action, name):
    """A field of an action form (its names carry the action as a prefix: respond-decision)."""
    return form.find_element(By.NAME, f"{action}-{name}")


def open_action(browser, name):
    details = browser.find_element(By.ID, f"action-{name}")
    if not details.get_attribute("open"):
        click(browser, details.find_element(By.TAG_NAME, "summary"))
    return details


def test_a_practitioner_raises_the_manager_answers_and_the_practitioner_accepts(people, sign_in, live_server):
    browser = sign_in("bexley-practitioner")
    assert "Sam Whitfield" in browser.find_element(By.CSS_SELECTOR, "[data-testid=user-bar]").text

    # Raise: step 1, the procedure and the risk; step 2, the case and the disagreement.
    browser.get(live_server.url + "/escalations/raise/")
    click(browser, browser.find_element(By.CSS_SELECTOR, "input[name=ladder][value=bexley-internal]"))
    click(browser, browser.find_element(By.CSS_SELECTOR, "input[name=risk_level][value=standard]"))
    browser.find_element(By.XPATH, "//button[normalize-space()='Continue']").click()
    browser.find_element(By.NAME, "new_reference").send_keys("LCS-900001")
    Select(browser.find_element(By.NAME, "category")).select_by_value("need-for-action")
    browser.find_element(By.NAME, "decision_challenged").send_keys("Case closed to early help.")
    browser.find_element(By.NAME, "concern").send_keys("Bruising reported twice by the nursery.")
    click(browser, browser.find_element(By.CSS_SELECTOR, "input[name=basis][value=evidence]"))
    browser.find_element(By.NAME, "desired_outcome").send_keys("A strategy discussion.")
    browser.find_element(By.XPATH, "//button[normalize-space()='Raise the disagreement']").click()

    confirmation = wait_for_text(browser, "Grace Mensah", "[data-testid=who-and-when]")
    assert "5pm on" in confirmation
    escalation_url = browser.current_url.replace("/raised/", "/")
    sign_out(browser)

    # The team manager finds it awaiting a response and records a decision.
    browser = sign_in("bexley-team-manager")
    browser.get(live_server.url + "/escalations/awaiting/")
    listing = browser.find_element(By.CSS_SELECTOR, "[data-testid=escalation-list]")
    assert "LCS-900001" in listing.text
    browser.get(escalation_url)
    respond = open_action(browser, "respond")
    click(browser, respond.find_element(By.CSS_SELECTOR, "input[name=respond-decision][value=agree]"))
    field(respond, "respond", "rationale").send_keys("A strategy discussion will be held tomorrow.")
    respond.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_text(browser, "A strategy discussion will be held tomorrow.", "[data-testid=decision]")
    sign_out(browser)

    # The practitioner accepts, with the written outcome, and prints the record.
    browser = sign_in("bexley-practitioner")
    browser.get(escalation_url)
    accept = open_action(browser, "accept")
    field(accept, "accept", "agreed_outcome").send_keys("Strategy discussion on Thursday.")
    field(accept, "accept", "outstanding_actions").send_keys("The team manager reviews the plan after it.")
    accept.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_text(browser, "Resolved")
    browser.get(escalation_url + "record/")
    record = browser.find_element(By.TAG_NAME, "main").text
    assert "Strategy discussion on Thursday." in record
    assert "The team manager reviews the plan after it." in record


def test_an_imminent_risk_shows_the_emergency_contacts_before_anything_else(people, sign_in, live_server):
    browser = sign_in("bs3-practitioner")
    browser.get(live_server.url + "/escalations/raise/")
    click(browser, browser.find_element(By.CSS_SELECTOR, "input[name=ladder][value=bs3-nursery]"))
    click(browser, browser.find_element(By.CSS_SELECTOR, "input[name=risk_level][value=imminent]"))
    browser.find_element(By.XPATH, "//button[normalize-space()='Continue']").click()
    contacts = browser.find_element(By.CSS_SELECTOR, "[data-testid=emergency-contacts]").text
    assert "0117 903 6444" in contacts and "01454 615 165" in contacts
    assert not browser.find_elements(By.NAME, "concern")  # the form comes only after the contacts


def test_a_board_member_reads_the_themes_report_without_any_childs_reference(demo, sign_in, live_server):
    browser = sign_in("wiltshire-board-member")
    browser.get(live_server.url + "/reports/")
    page = browser.find_element(By.TAG_NAME, "main")
    assert page.find_elements(By.CSS_SELECTOR, "svg[role=img]")
    assert "DEMO-" not in browser.page_source
