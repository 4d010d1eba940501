"""Write tests/vectors/senders.json: one signed request per preset of
SPEC §12, each made by the provider's own library where one exists
(slack_sdk, twilio, squareup, PyNaCl), else by the provider's published
example or documented algorithm. The Rust tests (src/verify/senders.rs)
read the file; .ci/run runs this script again and fails if its output
differs from the committed file, so the file stays the libraries' output.

    pip install -r tests/vectors/requirements.txt
    python3 tests/vectors/make.py            # rewrites the fixture
    python3 tests/vectors/make.py --check    # exit 1 if it would change
"""

import base64
import hashlib
import hmac
import json
import pathlib
import sys

import nacl.signing
from slack_sdk.signature import SignatureVerifier
from square.utils.webhooks_helper import verify_signature as square_verify
from twilio.request_validator import RequestValidator

HERE = pathlib.Path(__file__).resolve().parent
FIXTURE = HERE / "senders.json"

# A hook's public URL as hookq builds it: --base-url, then /wh/<token>.
BASE = "https://hooks.example.com"
PATH = "/wh/k3xq7m2p9t4r8w6y1z5c0v3b"
NOW = 1700000000


class Clock:
    def __init__(self, now):
        self._now = now

    def now(self):
        return self._now


def case(name, kind, secret, source, headers, body, *, now=NOW, path=PATH,
         query="", method="POST", options=None):
    return {
        "name": name,
        "kind": kind,
        "secret": secret,
        "source": source,
        "options": options or {},
        "method": method,
        "path": path,
        "query": query,
        "headers": headers,
        "body": body,
        "now": now,
    }


def hmac_hex(key, message, digest=hashlib.sha256):
    return hmac.new(key.encode(), message.encode(), digest).hexdigest()


def hmac_b64(key, message, digest=hashlib.sha256):
    return base64.b64encode(hmac.new(key.encode(), message.encode(), digest).digest()).decode()


def slack():
    out = []
    # Slack's published example (docs: "Verifying requests from Slack").
    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    body = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
            "&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
            "&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
            "commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
            "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    ts = 1531420618
    signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    verifier = SignatureVerifier(secret, clock=Clock(ts))
    assert verifier.is_valid(body=body, timestamp=str(ts), signature=signature)
    out.append(case("slack: Slack's published example", "slack", secret,
                    "published example, checked by slack_sdk SignatureVerifier",
                    [["X-Slack-Request-Timestamp", str(ts)], ["X-Slack-Signature", signature],
                     ["Content-Type", "application/x-www-form-urlencoded"]],
                    body, now=ts))
    secret = "e9b0c2a1d3f4e5a6b7c8d9e0f1a2b3c4"
    body = json.dumps({"type": "event_callback", "event": {"type": "app_mention", "text": "hé"}})
    verifier = SignatureVerifier(secret, clock=Clock(NOW))
    signature = verifier.generate_signature(timestamp=str(NOW), body=body)
    out.append(case("slack: an event signed by slack_sdk", "slack", secret,
                    "slack_sdk SignatureVerifier.generate_signature",
                    [["X-Slack-Request-Timestamp", str(NOW)], ["X-Slack-Signature", signature],
                     ["Content-Type", "application/json"]], body))
    return out


def twilio():
    out = []
    # Twilio's published example ("Webhooks security"), old and new numbers.
    validator = RequestValidator("12345")
    for caller, expected in [("+12349013030", "0/KCTR6DLpKmkAf8muzZqo1nDgQ="),
                             ("+14158675310", "GvWf1cFY/Q7PnoempGyD5oXAezc=")]:
        params = {"CallSid": "CA1234567890ABCDE", "Caller": caller, "Digits": "1234",
                  "From": caller, "To": "+18005551212"}
        url = "https://mycompany.com/myapp.php?foo=1&bar=2"
        assert validator.compute_signature(url, params) == expected
        assert validator.validate(url, params, expected)
        body = "&".join(f"{k}={v.replace('+', '%2B')}" for k, v in params.items())
        out.append(case(f"twilio: Twilio's published example ({caller})", "twilio", "12345",
                        "published example, checked by twilio RequestValidator",
                        [["X-Twilio-Signature", expected],
                         ["Content-Type", "application/x-www-form-urlencoded"]],
                        body, path="/myapp.php", query="foo=1&bar=2",
                        options={"base_url": "https://mycompany.com"}))
    token = "f1e2d3c4b5a69788"
    validator = RequestValidator(token)
    params = {"Body": "Hello + goodbye & more", "From": "+14155550100", "MessageSid": "SM1",
              "To": "+14155550199", "NumMedia": "0"}
    url = BASE + PATH
    signature = validator.compute_signature(url, params)
    assert validator.validate(url, params, signature)
    body = ("Body=Hello+%2B+goodbye+%26+more&From=%2B14155550100&MessageSid=SM1"
            "&To=%2B14155550199&NumMedia=0")
    out.append(case("twilio: an SMS signed by twilio RequestValidator", "twilio", token,
                    "twilio RequestValidator.compute_signature",
                    [["X-Twilio-Signature", signature],
                     ["Content-Type", "application/x-www-form-urlencoded"],
                     ["I-Twilio-Idempotency-Token", "6b7e0c8a-1"]],
                    body, options={"base_url": BASE}))
    body = json.dumps({"event": "call.completed", "sid": "CA2"})
    body_hash = hashlib.sha256(body.encode()).hexdigest()
    url = f"{BASE}{PATH}?bodySHA256={body_hash}"
    signature = validator.compute_signature(url, {})
    assert validator.validate(url, body, signature)
    out.append(case("twilio: a JSON body covered by bodySHA256", "twilio", token,
                    "twilio RequestValidator.compute_signature",
                    [["X-Twilio-Signature", signature], ["Content-Type", "application/json"]],
                    body, query=f"bodySHA256={body_hash}", options={"base_url": BASE}))
    signature = validator.compute_signature(BASE + PATH, params, "HMAC_SHA256")
    assert validator.validate(BASE + PATH, params, signature, "HMAC_SHA256")
    body = ("Body=Hello+%2B+goodbye+%26+more&From=%2B14155550100&MessageSid=SM1"
            "&To=%2B14155550199&NumMedia=0")
    out.append(case("twilio: HMAC-SHA256 named by the settings header", "twilio", token,
                    "twilio RequestValidator.compute_signature(HMAC_SHA256)",
                    [["X-Twilio-Signature", signature],
                     ["X-Twilio-Webhooks-Signature-Settings", "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"],
                     ["Content-Type", "application/x-www-form-urlencoded"]],
                    body, options={"base_url": BASE}))
    return out


def square():
    key = "Wv2OqTeh1NvCsiOFk3PM7A"
    body = json.dumps({"merchant_id": "6SSW7HV8K2ST5", "type": "payment.created",
                       "event_id": "13b867cf-db3d-4b1c-90b6-2f32a9d78124", "data": {}})
    url = BASE + PATH
    signature = hmac_b64(key, url + body)
    assert square_verify(request_body=body, signature_header=signature, signature_key=key,
                         notification_url=url)
    return [case("square: a payment accepted by squareup verify_signature", "square", key,
                 "squareup webhooks_helper.verify_signature accepts it",
                 [["x-square-hmacsha256-signature", signature],
                  ["Content-Type", "application/json"]],
                 body, options={"base_url": BASE})]


def discord():
    # A fixed seed, so the fixture is the same on every run.
    signing = nacl.signing.SigningKey(bytes(range(32)))
    public = signing.verify_key.encode().hex()
    out = []
    for name, body in [("a PING", json.dumps({"type": 1, "id": "1", "application_id": "2"})),
                       ("a slash command", json.dumps({"type": 2, "data": {"name": "deploy"}}))]:
        ts = str(NOW)
        signature = signing.sign((ts + body).encode()).signature.hex()
        signing.verify_key.verify((ts + body).encode(), bytes.fromhex(signature))
        out.append(case(f"discord: {name} signed by PyNaCl", "discord", public,
                        "PyNaCl SigningKey.sign (Ed25519)",
                        [["X-Signature-Ed25519", signature], ["X-Signature-Timestamp", ts],
                         ["Content-Type", "application/json"]], body))
    return out


def documented():
    """Providers without a verifying library: their documented algorithm."""
    out = []
    secret = "shpss_5c1d8a2e9b7f4c3a"
    body = json.dumps({"id": 820982911946154508, "email": "jon@example.com"})
    out.append(case("shopify: an order, as Shopify's documented verifier", "shopify", secret,
                    "Shopify docs: base64 HMAC-SHA256 of the body",
                    [["X-Shopify-Hmac-Sha256", hmac_b64(secret, body)],
                     ["X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"],
                     ["Content-Type", "application/json"]], body))
    secret = "lin_wh_0a1b2c3d4e5f"
    body = json.dumps({"action": "create", "type": "Issue", "data": {"id": "1"},
                       "webhookTimestamp": NOW * 1000})
    out.append(case("linear: an issue, as Linear's documented verifier", "linear", secret,
                    "Linear docs: hex HMAC-SHA256 of the body; webhookTimestamp in ms",
                    [["Linear-Signature", hmac_hex(secret, body)],
                     ["Linear-Delivery", "234d1a4e-b617-4388-90fe-adc3633d6b72"],
                     ["Content-Type", "application/json"]], body))
    secret = "zm_secret_token_42"
    body = json.dumps({"event": "meeting.started", "payload": {"object": {"id": "1"}}})
    out.append(case("zoom: a meeting event, as Zoom's documented verifier", "zoom", secret,
                    "Zoom docs: v0= hex HMAC-SHA256 of v0:{timestamp}:{body}",
                    [["x-zm-request-timestamp", str(NOW)],
                     ["x-zm-signature", "v0=" + hmac_hex(secret, f"v0:{NOW}:{body}")],
                     ["Content-Type", "application/json"]], body))
    secret = "twitch_s3cret_value"
    msg_id = "e76c6bd4-55c9-4987-8304-da1588d8988b"
    ts = "2023-11-14T22:13:20.123456789Z"
    body = json.dumps({"subscription": {"type": "channel.follow"}, "event": {"user_id": "1"}})
    out.append(case("twitch: a notification, as Twitch's documented verifier", "twitch", secret,
                    "Twitch docs: sha256= hex HMAC-SHA256 of id + timestamp + body",
                    [["Twitch-Eventsub-Message-Id", msg_id],
                     ["Twitch-Eventsub-Message-Timestamp", ts],
                     ["Twitch-Eventsub-Message-Type", "notification"],
                     ["Twitch-Eventsub-Message-Signature",
                      "sha256=" + hmac_hex(secret, msg_id + ts + body)],
                     ["Content-Type", "application/json"]], body))
    secret = "meta_app_secret_9f8e"
    body = json.dumps({"object": "page", "entry": [{"id": "1", "time": NOW}]})
    out.append(case("meta: a page event, as Meta's documented verifier", "meta", secret,
                    "Meta docs: sha256= hex HMAC-SHA256 of the body (X-Hub-Signature-256)",
                    [["X-Hub-Signature-256", "sha256=" + hmac_hex(secret, body)],
                     ["Content-Type", "application/json"]], body,
                    options={"verify_token": "meatyhamhock"}))
    out.append(case("gitlab: a push with its secret token", "gitlab", "glpat-not-a-real-token",
                    "GitLab docs: X-Gitlab-Token carries the secret token",
                    [["X-Gitlab-Token", "glpat-not-a-real-token"],
                     ["X-Gitlab-Event", "Push Hook"],
                     ["Idempotency-Key", "f6b1e2a0-77c4-4c1e-9a1e-2d5d8f1b6c0e"],
                     ["Content-Type", "application/json"]],
                    json.dumps({"object_kind": "push", "ref": "refs/heads/main"})))
    return out


def main():
    cases = slack() + twilio() + square() + discord() + documented()
    text = json.dumps(cases, indent=1, ensure_ascii=False) + "\n"
    if "--check" in sys.argv:
        if FIXTURE.read_text() != text:
            print(f"{FIXTURE} differs from what the libraries make now", file=sys.stderr)
            sys.exit(1)
        return
    FIXTURE.write_text(text)


if __name__ == "__main__":
    main()
