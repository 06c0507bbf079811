"""No personal data in any process's log: after a flow that handles national ids, mobiles and
emails through the real processes, every log line of every process (their whole captured
output) is searched for them, raw and canonical, in Latin, Persian and Arabic digits.

Named ``zz`` so it runs last in this folder: the logs then also hold everything the fuzzers,
the matrix and the odd inputs sent before it.
"""

from __future__ import annotations

import random
import urllib.parse

from security_stack import AGENT_1, SecurityStack, national_id

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _forms_of_mobile(mobile: str) -> set[str]:
    """09121234567 → itself, +989121234567, 989121234567, 9121234567 (and in other digits)."""
    local = mobile[1:]
    forms = {mobile, "+98" + local, "98" + local, local}
    return forms | {f.translate(PERSIAN) for f in forms} | {f.translate(ARABIC) for f in forms}


def _forms_of_digits(text: str) -> set[str]:
    return {text, text.translate(PERSIAN), text.translate(ARABIC), "-".join((text[:3], text[3:9], text[9:]))}


def test_no_process_logs_national_ids_mobiles_or_emails(sec: SecurityStack) -> None:
    rng = random.Random()
    nid = national_id(f"{rng.randrange(10**8, 10**9)}")
    mobile = f"0912{rng.randrange(10**6, 10**7)}"
    email = f"pii.{rng.randrange(10**6)}@example.ir"
    person = {
        "kind": "person", "first_name": "نازنین", "last_name": "شکوهی", "national_id": nid, "birth_date": "1370/01/01",
        "branch_code": "1021", "agent_id": AGENT_1,
        "contact_points": [{"kind": "mobile", "value": mobile.translate(PERSIAN), "primary": True}, {"kind": "email", "value": email.upper()}],
    }
    created = sec.call("POST", "/api/v1/customers", person, "staff")
    assert created.status == 201, created.body
    customer_id = created.body["customer_id"]
    # The same person again (a duplicate), with a broken check digit, a bad mobile and email.
    assert sec.call("POST", "/api/v1/customers", person, "staff").status == 409
    broken = {**person, "national_id": nid[:-1] + str((int(nid[-1]) + 1) % 10), "contact_points": [{"kind": "mobile", "value": mobile + "99"}, {"kind": "email", "value": "@" + email}]}
    assert sec.call("POST", "/api/v1/customers", broken, "staff").status == 422
    # Searched by every form, by roles that may and may not see the customer.
    for term in (nid, nid.translate(PERSIAN), mobile, "+98" + mobile[1:], mobile.translate(ARABIC), email, email.upper()):
        for role in ("staff", "manager", "marketing", "agent"):
            assert sec.call("GET", "/api/v1/customers?q=" + urllib.parse.quote(term, safe=""), role=role).status == 200
    # Updated through the agent's offline sync, and signed in with a mobile as a username.
    sec.call(
        "POST", "/mobile/v1/sync/push",
        {"changes": [{"idempotency_key": f"pii-{rng.randrange(10**9)}", "kind": "update_customer", "customer_id": customer_id, "base_version": 1,
                      "data": {"contact_points": [{"kind": "mobile", "value": mobile, "primary": True}], "email": email}}]},
        "agent",
    )
    assert sec.call("POST", "/api/v1/auth/login", {"username": mobile, "password": nid}).status == 401
    assert sec.call("GET", f"/api/v1/customers/{customer_id}/360", role="staff").status == 200

    secrets = {"national id": _forms_of_digits(nid), "mobile": _forms_of_mobile(mobile), "email": {email, email.upper()}}
    for record in sec.records.values():
        secrets["national id"] |= _forms_of_digits(record.national_id)
        secrets["mobile"] |= _forms_of_mobile(record.mobile)
        secrets["email"] |= {record.email, record.email.upper()}
    logs = sec.all_log_text()
    assert set(logs) >= {"gateway", "customer-grpc", "policy-grpc", "ticketing-grpc", "campaign-grpc"}
    assert sum(len(text) for text in logs.values()) > 1000  # the logs were really written and read
    leaks = [
        f"{process}: {kind} {value!r} in: …{text[max(0, text.find(value) - 150):text.find(value) + 50]}…"
        for process, text in logs.items()
        for kind, values in secrets.items()
        for value in values
        if value in text or (kind == "email" and value.lower() in text.lower())
    ]
    assert not leaks, "\n".join(leaks[:10])
