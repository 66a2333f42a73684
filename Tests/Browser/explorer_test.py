#!/usr/bin/env python3
"""Browser tests of the TrialChain explorer (issue 16), in Debian's chromium through Selenium.

Run by TrialChainCLITests/ExplorerBrowserTests.swift against `trialchain serve` on the sample
trial. A small proxy in this script stands between the browser and the server and alters what
the server sends (a tile, an entry, the checkpoint, a malformed tile) on request, so each
in-browser check is shown to catch a hostile server. Screenshots of each page go to --out.

Exit 0 when every check passes; otherwise prints what failed and exits 1.
"""
import argparse, base64, http.server, json, os, socketserver, sys, threading, time, urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from selenium.common.exceptions import StaleElementReferenceException


def click_nth(driver, selector, n):
    """Clicks the n-th element matching selector. A page opened again re-renders its tables once
    its data arrives: an element found just before that is stale, so find it again (up to 5 s)."""
    deadline = time.time() + 5
    while True:
        try:
            driver.find_elements(By.CSS_SELECTOR, selector)[n].click()
            return
        except (StaleElementReferenceException, IndexError):
            if time.time() > deadline:
                raise
            time.sleep(0.1)

MODE = {"value": "none"}


class Proxy(http.server.BaseHTTPRequestHandler):
    upstream = ""

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/__mode/"):
            MODE["value"] = self.path[len("/__mode/"):]
            self.send_response(204)
            self.end_headers()
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization",)}
        request = urllib.request.Request(self.upstream + self.path, headers=headers)
        try:
            with urllib.request.urlopen(request) as response:
                status, body, kept = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, body, kept = error.code, error.read(), error.headers
        path, mode = self.path.split("?")[0], MODE["value"]
        if status == 200:
            if mode == "tile" and path.startswith("/tile/0/"):
                body = bytes([body[0] ^ 1]) + body[1:]
            elif mode == "entry" and path.startswith("/tile/entries/"):
                # One byte of every entry in the bundle, lengths kept.
                altered, offset = bytearray(body), 0
                while offset + 2 <= len(altered):
                    length = (altered[offset] << 8) | altered[offset + 1]
                    if length > 10:
                        altered[offset + 2 + 10] ^= 1
                    offset += 2 + length
                body = bytes(altered)
            elif mode == "checkpoint" and path == "/checkpoint":
                lines = body.decode().split("\n")
                lines[1] = str(int(lines[1]) + 1)
                body = "\n".join(lines).encode()
            elif mode == "record" and path.startswith("/v1/records/"):
                proof = json.loads(body)
                canonical = base64.b64decode(proof["record"]["canonical"]).replace(b'"value":"', b'"value":"1', 1)
                proof["record"]["canonical"] = base64.b64encode(canonical).decode()
                body = json.dumps(proof).encode()
            elif mode == "garbage" and path.startswith("/tile/0/"):
                body = body[:-7]
        self.send_response(status)
        for name in ("Content-Type", "Content-Security-Policy", "Cache-Control"):
            if kept.get(name):
                self.send_header(name, kept.get(name))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Checks:
    def __init__(self, driver, base, out):
        self.driver, self.base, self.out, self.failures = driver, base, out, []

    def expect(self, condition, what):
        print(("PASS " if condition else "FAIL ") + what, flush=True)
        if not condition:
            self.failures.append(what)

    def shot(self, name):
        self.driver.save_screenshot(os.path.join(self.out, name + ".png"))

    def text(self, element_id):
        return self.driver.find_element(By.ID, element_id).text

    def open(self, page):
        self.driver.get(self.base + "/explorer/#/" + page)
        WebDriverWait(self.driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def set_token(self, token):
        field = self.driver.find_element(By.ID, "token")
        field.clear()
        field.send_keys(token)
        self.driver.find_element(By.ID, "token-save").click()

    def verify(self, key, entry="", record=""):
        self.open("verify")
        box = self.driver.find_element(By.ID, "ledger-key")
        box.clear()
        box.send_keys(key)
        index = self.driver.find_element(By.ID, "entry-index")
        index.clear()
        index.send_keys(entry)
        field = self.driver.find_element(By.ID, "record-id")
        field.clear()
        field.send_keys(record)
        self.driver.find_element(By.ID, "verify-run").click()
        WebDriverWait(self.driver, 20).until(lambda d: d.find_element(By.ID, "verify-result").text not in ("", "Checking…"))
        return self.text("verify-result"), self.text("verify-steps")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--auditor-token", required=True)
    parser.add_argument("--site-token", required=True, help="a site:102 token")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    Proxy.upstream = args.server
    proxy = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % proxy.server_address[1]

    def mode(name):
        urllib.request.urlopen(base + "/__mode/" + name).read()

    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    checks = Checks(driver, base, args.out)
    try:
        # Verify: the honest log, then an entry's bytes with an auditor token.
        result, steps = checks.verify(args.key)
        checks.expect(result.startswith("✓ Everything checked holds"), "the honest log verifies in the browser: " + result)
        checks.expect("signed by the ledger key" in steps and "adds up to the signed root" in steps, "each step is shown")
        checks.shot("verify")
        checks.set_token(args.auditor_token)
        result, steps = checks.verify(args.key, "2")
        checks.expect("Entry 2's bytes hash to its leaf" in steps and result.startswith("✓"), "entry 2's proof and bytes check out: " + steps.replace("\n", " | "))
        checks.expect("extends the checkpoint this browser saw before" in steps, "the second run checks consistency with the first")

        # A record's proof, from its bytes to the signed checkpoint (record 100: a measurement).
        result, steps = checks.verify(args.key, "", "100")
        checks.expect(result.startswith("✓") and "is in the ledger at the checkpoint" in steps and "record tree" not in result,
                      "record 100's proof checks out in the browser: " + steps.replace("\n", " | ")[-300:])
        checks.shot("verify-record")
        mode("record")
        result, _ = checks.verify(args.key, "", "100")
        checks.expect("not in its run's record tree" in result, "an altered record is caught: " + result)
        mode("none")

        # A hostile server, caught by the page in words.
        for name, expected in [
            ("tile", "do not add up to the signed root"),
            ("entry", "the server altered the entry"),
            ("checkpoint", "does not verify with the key you gave"),
            ("garbage", "malformed tile"),
        ]:
            mode(name)
            result, steps = checks.verify(args.key, "2")
            checks.expect(result.startswith("✗") and expected in result, "an altered %s is caught: %s" % (name, result))
            checks.shot("verify-caught-" + name)
        mode("none")

        # A wrong pinned key, a malformed key, an entry out of range.
        other = "example.org/other+0a0b0c0d+" + base64.b64encode(bytes([1]) + bytes(32)).decode()
        result, _ = checks.verify(other)
        checks.expect("not a verifier key" in result or "ID does not match" in result, "a key with a wrong ID is refused: " + result)
        result, _ = checks.verify("not a key")
        checks.expect("is not a verifier key" in result, "a malformed key is refused: " + result)
        result, _ = checks.verify(args.key, "99999999")
        checks.expect("is not in the log" in result, "an entry out of range says so: " + result)

        # A history the browser remembers that the server does not extend (a fork).
        origin = args.key.split("+")[0]
        driver.execute_script("localStorage.setItem(arguments[0], JSON.stringify({size: 2, root: btoa(String.fromCharCode(...new Uint8Array(32)))}))",
                              "trialchain:checkpoint:" + origin)
        result, _ = checks.verify(args.key)
        checks.expect("different history" in result, "a fork against the remembered checkpoint is caught: " + result)
        driver.execute_script("localStorage.setItem(arguments[0], JSON.stringify({size: 1000000, root: 'AAAA'}))", "trialchain:checkpoint:" + origin)
        result, _ = checks.verify(args.key)
        checks.expect("rolled back" in result, "a rollback is caught: " + result)
        driver.execute_script("localStorage.clear()")

        # Overview and ledger, with the auditor token; a huge page number; no token.
        checks.open("overview")
        WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "overview-facts").text != "")
        facts = checks.text("overview-facts")
        checks.expect("DEMO-2026-001" in facts, "the overview names the trial")
        checks.expect(len(driver.find_elements(By.CSS_SELECTOR, "#overview-stages tbody tr")) >= 5, "the overview lists the stages")
        checks.shot("overview")
        checks.open("ledger")
        WebDriverWait(driver, 10).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#ledger-entries tbody tr")) > 0)
        rows = driver.find_elements(By.CSS_SELECTOR, "#ledger-entries tbody tr")
        checks.expect(len(rows) >= 7, "the ledger page decodes the entries")
        page_text = checks.text("ledger-entries")
        checks.expect("<img src=x onerror=alert(1)>.txt" in page_text and not driver.find_elements(By.CSS_SELECTOR, "#ledger-entries img"),
                      "a file name holding HTML is shown as text, never as markup")
        checks.shot("ledger")
        # A stage run from the overview: its records, a search, its rejects.
        checks.open("overview")
        WebDriverWait(driver, 10).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#overview-stages tbody tr a")) >= 3)
        click_nth(driver, "#overview-stages tbody tr a", 2)
        WebDriverWait(driver, 10).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#run-records tbody tr")) > 0)
        checks.expect("ingest/measurements" in checks.text("run-facts") and "all sites" in checks.text("run-facts"), "the measurement run's page opens from the overview")
        checks.expect(len(driver.find_elements(By.CSS_SELECTOR, "#run-rejects tbody tr")) > 0, "its rejects are listed with file, line and reason")
        field = driver.find_element(By.ID, "run-participant")
        field.send_keys("P-0002")
        driver.find_element(By.ID, "run-go").click()
        WebDriverWait(driver, 10).until(lambda d: "participant=P-0002" in d.current_url and "record(s) match" in d.find_element(By.ID, "run-count").text)
        time.sleep(0.5)
        participants = {row.find_elements(By.TAG_NAME, "td")[1].text for row in driver.find_elements(By.CSS_SELECTOR, "#run-records tbody tr")}
        checks.expect(participants == {"P-0002"}, "searching a participant shows only their records: %s" % participants)
        checks.shot("run")

        # A participant, from the run page: consents, payout lines with their evidence, adherence, records.
        click_nth(driver, "#run-records tbody tr td a", 0)
        WebDriverWait(driver, 10).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#participant-payouts tbody tr")) > 0)
        checks.expect("P-0002" in checks.text("participant-facts") and "EUR" in checks.text("participant-facts"), "the participant page shows the site and the total")
        checks.expect(len(driver.find_elements(By.CSS_SELECTOR, "#participant-consents tbody tr")) >= 1, "with the consents")
        evidence = [row.find_elements(By.TAG_NAME, "td")[6].text for row in driver.find_elements(By.CSS_SELECTOR, "#participant-payouts tbody tr")]
        checks.expect(any(text and text[0].isdigit() for text in evidence), "payout lines name the records that earned them: %s" % evidence[:3])
        checks.expect("% of days covered" in checks.text("participant-adherence"), "and the adherence")
        checks.expect(len(driver.find_elements(By.CSS_SELECTOR, "#participant-records tbody tr")) > 20, "and the records by visit")
        checks.shot("participant")
        driver.get(base + "/explorer/#/participant?id=P-NOBODY")
        WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "message").text != "")
        checks.expect("no participant P-NOBODY" in checks.text("message"), "an unknown participant says so: " + checks.text("message"))

        # Reports: each checked against its anchored digest in the browser.
        checks.open("reports")
        WebDriverWait(driver, 10).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#reports-list tbody tr")) >= 6)
        click_nth(driver, "#reports-list tbody tr button", 0)
        WebDriverWait(driver, 10).until(lambda d: "✓" in d.find_element(By.CSS_SELECTOR, "#reports-list tbody tr").text or "✗" in d.find_element(By.CSS_SELECTOR, "#reports-list tbody tr").text)
        checks.expect("the bytes have the anchored SHA-256" in driver.find_element(By.CSS_SELECTOR, "#reports-list tbody tr").text, "a report's bytes are checked against the ledger")
        checks.shot("reports")

        # A site token sees its own site only.
        checks.set_token(args.site_token)
        driver.get(base + "/explorer/#/run?id=3")
        WebDriverWait(driver, 10).until(lambda d: "site 102" in d.find_element(By.ID, "run-facts").text)
        time.sleep(0.5)
        sites = {row.find_elements(By.TAG_NAME, "td")[2].text for row in driver.find_elements(By.CSS_SELECTOR, "#run-records tbody tr")}
        checks.expect(sites == {"102"}, "a site:102 token sees site 102's records only: %s" % sites)
        checks.expect(not driver.find_elements(By.CSS_SELECTOR, "#run-rejects tbody tr"), "and not the rejects of a run that is not its submission")
        checks.shot("run-site-102")
        driver.get(base + "/explorer/#/participant?id=P-0001")
        WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "message").text != "")
        checks.expect("is not of site 102" in checks.text("message"), "a site token may not open another site's participant: " + checks.text("message"))
        result, _ = checks.verify(args.key, "", "100")
        checks.expect("record 100 is not of site 102" in result, "nor prove another site's record: " + result)
        checks.open("reports")
        WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "message").text != "")
        checks.expect("reports cover every site" in checks.text("message"), "a site token may not read the all-site reports: " + checks.text("message"))
        checks.set_token(args.auditor_token)

        driver.get(base + "/explorer/#/ledger?page=99999999999")
        WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "message").text != "")
        checks.expect("does not exist" in checks.text("message"), "a huge page number says so: " + checks.text("message"))
        driver.find_element(By.ID, "token-forget").click()
        checks.open("overview")
        WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "message").text != "")
        checks.expect("needs an access token" in checks.text("message"), "without a token the overview asks for one")

        # Keyboard: from the top of the page, Tab reaches the skip link, then the pages, and Enter opens one.
        from selenium.webdriver.common.keys import Keys
        from selenium.webdriver.common.action_chains import ActionChains
        checks.open("verify")
        driver.refresh()
        WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")
        reached = []
        for _ in range(4):
            ActionChains(driver).send_keys(Keys.TAB).perform()
            reached.append(driver.switch_to.active_element.get_attribute("id") or driver.switch_to.active_element.text)
        checks.expect("Skip to content" in reached and "nav-overview" in reached, "Tab reaches the skip link and the pages: %s" % reached)
        while driver.switch_to.active_element.get_attribute("id") != "nav-ledger":
            ActionChains(driver).send_keys(Keys.TAB).perform()
        ActionChains(driver).send_keys(Keys.ENTER).perform()
        WebDriverWait(driver, 10).until(lambda d: not d.find_element(By.ID, "page-ledger").get_attribute("hidden"))
        checks.expect(True, "Enter on a page's link opens it")
        labels = driver.execute_script("return Array.from(document.querySelectorAll('input, textarea')).filter(e => !(e.labels && e.labels.length)).map(e => e.id)")
        checks.expect(labels == [], "every field has a label: %s" % labels)

        # Nothing errored.
        errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE" and "status of 40" not in entry["message"]]
        checks.expect(not errors, "no script errors: %s" % errors)
    finally:
        driver.quit()
        proxy.shutdown()
    if checks.failures:
        print("%d check(s) failed" % len(checks.failures))
        sys.exit(1)
    print("all explorer checks passed; screenshots in " + args.out)


if __name__ == "__main__":
    main()
