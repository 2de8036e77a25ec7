"""The web interview in headless Chromium, against a live service on loopback, in English and Spanish.

Answers a realistic case to a decided answer, changes one answer and sees the outcome change, goes
back, downloads the answers and resumes from the file, opens the report, and saves screenshots at
desktop and phone width (in $ASYLUM_KB_SCREENSHOT_DIR when set).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("starlette")
uvicorn = pytest.importorskip("uvicorn")
webdriver = pytest.importorskip("selenium.webdriver")

from asylum_kb.service.app import create_app
from asylum_kb.service.holder import KnowledgeBaseHolder
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parent.parent
CASE = yaml.safe_load((ROOT / "examples" / "affirmative-grant.yaml").read_text())
AS_OF = str(CASE.pop("as_of"))
DESKTOP, PHONE = (1280, 1000), (390, 844)


def flat(document: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in document.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


ANSWERS = flat(CASE)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(KnowledgeBaseHolder(None)), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        assert time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(10)


@pytest.fixture()
def browser(tmp_path: Path) -> Iterator[Any]:
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={DESKTOP[0]},{DESKTOP[1]}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(tmp_path / "downloads"),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path / "downloads")})
    yield driver
    driver.quit()


def value_of(browser: Any, determination: str) -> str:
    """Read in one script call: the list is redrawn after every answer, so a held element can go stale."""
    return str(browser.execute_script(
        "const item = document.querySelector(`#determinations li[data-id='${arguments[0]}']`);"
        "return item ? item.dataset.value : null;", determination))


def wait_until_idle(browser: Any) -> None:
    """Wait until no step is on its way (the page drops aria-busy), so the form found next stays on the page."""
    WebDriverWait(browser, 15).until(lambda b: b.execute_script("return !document.body.hasAttribute('aria-busy')"))


def wait_for_step(browser: Any, previous: str | None) -> str:
    """Wait until the page shows a new step (the question or the answered count changed) and is idle."""
    def changed(_: Any) -> str | bool:
        if browser.execute_script("return document.body.hasAttribute('aria-busy')"):
            return False
        text = browser.find_element(By.ID, "progress-text").text + browser.find_element(By.ID, "question-label").text
        return text if text and text != previous else False
    return str(WebDriverWait(browser, 15).until(changed))


def current_fact(browser: Any) -> str | None:
    return browser.execute_script("const q = state.editing ? state.catalog[state.editing] : "
                                  "state.step && state.step.question; return q ? q.fact : null;")


def answer(browser: Any, fact: str, value: Any) -> None:
    form = browser.find_element(By.ID, "question-form")
    if isinstance(value, bool):
        form.find_element(By.CSS_SELECTOR, f"input[value='{str(value).lower()}']").click()
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        for index, record in enumerate(value):
            browser.find_element(By.ID, "add-record").click()
            for field, item in record.items():
                element = browser.find_element(By.ID, f"record-{index}-{field}")
                browser.execute_script("arguments[0].value = arguments[1]", element,
                                       str(item).lower() if isinstance(item, bool) else str(item))
    elif isinstance(value, list):
        for item in value:
            form.find_element(By.CSS_SELECTOR, f"input[value='{item}']").click()
    elif form.find_elements(By.CSS_SELECTOR, f"input[type=radio][value='{value}']"):
        form.find_element(By.CSS_SELECTOR, f"input[type=radio][value='{value}']").click()
    else:
        browser.execute_script("arguments[0].value = arguments[1]", browser.find_element(By.ID, "answer"), str(value))
    browser.find_element(By.ID, "next").click()


def interview_until_decided(browser: Any, determination: str) -> int:
    """Answer from the case (or "I don't know" where it has no answer) until the determination is decided."""
    seen = wait_for_step(browser, None)
    for asked in range(1, 60):
        fact = current_fact(browser)
        assert fact is not None, "the interview ended before the answer was decided"
        if fact in ANSWERS:
            answer(browser, fact, ANSWERS[fact])
        else:
            browser.find_element(By.ID, "dont-know").click()
        seen = wait_for_step(browser, seen)
        if value_of(browser, determination) != "undetermined":
            return asked
    raise AssertionError("no decided answer after 60 questions")


def shoot(browser: Any, name: str, size: tuple[int, int], tmp_path: Path) -> Path:
    browser.set_window_size(*size)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(size[0], min(max(height, size[1]), 4000))
    folder = Path(os.environ.get("ASYLUM_KB_SCREENSHOT_DIR", str(tmp_path)))
    shot = folder / f"interview-{name}.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    browser.set_window_size(*DESKTOP)
    return shot


def expected_questions(lang: str) -> tuple[str, str]:
    """The first question of an empty interview and the location question, in ``lang``, from the engine itself."""
    import asylum_kb
    from asylum_kb.kb.translations import load as load_translations
    from asylum_kb.service import interview

    kb = asylum_kb.load()
    words = interview.localizer(load_translations(kb.directory), lang)
    first = interview.step(kb, {}, None, interview.DEFAULT_GOALS, set(), words)["question"]["question"]
    return first, interview.question(kb.catalog.facts["applicant.location"], words)["question"]


@pytest.mark.parametrize(("lang", "eligible_word"), [("en", "Eligible"), ("es", "Elegible")])
def test_an_interview_reaches_an_answer_changes_it_and_resumes_from_a_download(
        server: str, browser: Any, tmp_path: Path, lang: str, eligible_word: str) -> None:
    first, question = expected_questions(lang)
    browser.get(f"{server}/?lang={lang}")
    WebDriverWait(browser, 15).until(lambda b: b.find_element(By.ID, "question-label").text)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    assert browser.find_element(By.ID, "question-label").text == first
    assert browser.find_element(By.ID, "translation-note").is_displayed() == (lang != "en")
    as_of = browser.find_element(By.ID, "as-of")
    browser.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'))",
                           as_of, AS_OF)

    asked = interview_until_decided(browser, "asylum.eligibility")
    assert value_of(browser, "asylum.eligibility") == "eligible" and asked > 3
    decided = browser.find_element(By.CSS_SELECTOR, "#determinations li[data-id='asylum.eligibility'] .value").text
    assert decided == eligible_word
    why = browser.find_element(By.CSS_SELECTOR, "#determinations li[data-id='asylum.eligibility'] details")
    why.find_element(By.TAG_NAME, "summary").click()
    assert question.rstrip("?") not in why.text and len(why.find_elements(By.CSS_SELECTOR, "li")) >= 2
    shoot(browser, f"{lang}-desktop", DESKTOP, tmp_path)
    shoot(browser, f"{lang}-phone", PHONE, tmp_path)

    # Change an earlier answer: outside the United States, asylum is out of reach.
    before = browser.find_element(By.ID, "progress-text").text + browser.find_element(By.ID, "question-label").text
    browser.find_element(By.CSS_SELECTOR, "#given li[data-fact='applicant.location'] button.change").click()
    assert browser.find_element(By.ID, "question-label").text == question
    answer(browser, "applicant.location", "outside_us")
    wait_for_step(browser, before)
    WebDriverWait(browser, 15).until(lambda b: value_of(b, "asylum.eligibility") == "ineligible")

    # Back reopens the last question answered, with its answer filled in.
    browser.find_element(By.ID, "back").click()
    WebDriverWait(browser, 15).until(lambda b: current_fact(b) is not None)
    reopened = current_fact(browser)
    assert reopened in ANSWERS

    # Download the answers, start again, and resume from the file.
    browser.find_element(By.ID, "download").click()
    downloaded = tmp_path / "downloads" / "asylum-kb-answers.json"
    WebDriverWait(browser, 15).until(lambda _: downloaded.exists() and downloaded.stat().st_size > 10)
    saved = yaml.safe_load(downloaded.read_text())
    assert saved["applicant"]["location"] == "outside_us" and saved["as_of"] == AS_OF
    answered = len(browser.find_elements(By.CSS_SELECTOR, "#given li"))
    browser.find_element(By.ID, "restart").click()
    WebDriverWait(browser, 15).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#given li")) == 0)
    assert value_of(browser, "asylum.eligibility") == "undetermined"
    browser.find_element(By.ID, "resume").send_keys(str(downloaded))
    WebDriverWait(browser, 15).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#given li")) == answered)
    assert value_of(browser, "asylum.eligibility") == "ineligible"

    # The report of the resumed answers.
    browser.find_element(By.ID, "finish").click()
    WebDriverWait(browser, 20).until(lambda b: b.find_element(By.ID, "report-section").is_displayed())
    report = browser.find_element(By.ID, "report").get_attribute("srcdoc")
    assert "Case report" in report and "Not eligible" in report
    shoot(browser, f"{lang}-report", DESKTOP, tmp_path)
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []


def test_an_interview_that_ends_with_a_bar_says_to_see_a_lawyer(server: str, browser: Any, tmp_path: Path) -> None:
    case = yaml.safe_load((ROOT / "examples" / "crime-cat-deferral-only.yaml").read_text())
    answers = tmp_path / "crime.json"
    answers.write_text(json.dumps(case, default=str))
    browser.get(server)
    WebDriverWait(browser, 15).until(lambda b: b.find_element(By.ID, "question-label").text)
    assert not browser.find_element(By.ID, "lawyer").is_displayed()
    browser.find_element(By.ID, "resume").send_keys(str(answers))
    WebDriverWait(browser, 15).until(lambda b: value_of(b, "asylum.eligibility") == "ineligible")
    seen = wait_for_step(browser, None)
    for _ in range(60):
        if browser.find_element(By.ID, "done").is_displayed():
            break
        browser.find_element(By.ID, "dont-know").click()
        seen = wait_for_step(browser, seen)
    assert browser.find_element(By.ID, "done").is_displayed()
    lawyer = browser.find_element(By.ID, "lawyer")
    assert lawyer.is_displayed()
    codes = [item.get_attribute("data-code") for item in lawyer.find_elements(By.CSS_SELECTOR, "li")]
    assert "bar" in codes
    shoot(browser, "en-see-a-lawyer", DESKTOP, tmp_path)
